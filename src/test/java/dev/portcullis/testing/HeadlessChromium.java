package dev.portcullis.testing;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
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

  /** A wait of {@link #WAIT} on this browser. */
  public WebDriverWait await() {
    return new WebDriverWait(driver, WAIT);
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
