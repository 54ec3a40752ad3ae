package dev.portcullis.testing;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium driven by Debian's chromedriver, headless, with a fresh profile.
 *
 * <p>Both paths are given explicitly: when either is missing, Selenium Manager runs and tries
 * the network to find or fetch one. The flags keep Chromium from talking to anything but the
 * pages a test opens (no component updates, sync, QUIC probes or first-run pages).
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final String BINARY = "/usr/bin/chromium";
  public static final String DRIVER = "/usr/bin/chromedriver";
  /** Generous for a loaded CI machine; a passing wait returns as soon as its condition holds. */
  public static final Duration WAIT = Duration.ofSeconds(15);

  private final ChromeDriverService service;
  private final ChromeDriver driver;

  private HeadlessChromium(ChromeDriverService service, ChromeDriver driver) {
    this.service = service;
    this.driver = driver;
  }

  /** Starts Chromium with its profile in {@code profile}, which should be empty. */
  public static HeadlessChromium start(Path profile) {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(DRIVER))
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(BINARY)
        .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile.toAbsolutePath());
    // Kept so that a failed wait can show what the page complained about (CSP, network).
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    try {
      return new HeadlessChromium(service, new ChromeDriver(service, options));
    } catch (RuntimeException e) {
      service.stop();
      throw e;
    }
  }

  public ChromeDriver driver() {
    return driver;
  }

  /**
   * Keeps the browser from fetching URLs matching these patterns ({@code *} is a wildcard), for
   * every page of this tab from now on. Chromium asks for {@code /favicon.ico} after each page,
   * at a moment of its own choosing; tests that count what an upstream receives block it.
   */
  public void block(String... urlPatterns) {
    driver.executeCdpCommand("Network.enable", Map.of());
    driver.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of(urlPatterns)));
  }

  /**
   * Waits up to {@link #WAIT} for a condition; on timeout the failure carries the current URL
   * and the browser console, where Chromium reports what it refused to do.
   */
  public <T> T await(ExpectedCondition<T> condition) {
    try {
      return new WebDriverWait(driver, WAIT).until(condition);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out waiting for " + condition + " at "
          + driver.getCurrentUrl() + "\nbrowser console:\n" + console(), e);
    }
  }

  /** The browser console entries not read yet, one a line. */
  public String console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .map(entry -> "  " + entry.getLevel() + " " + entry.getMessage())
        .collect(Collectors.joining("\n"));
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
