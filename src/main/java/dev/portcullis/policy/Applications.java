package dev.portcullis.policy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The configured applications, indexed by host for the request path. */
public final class Applications {
  private final List<Application> all;
  private final Map<String, Application> byHost;

  public Applications(List<Application> all) {
    this.all = List.copyOf(all);
    this.byHost = all.stream().collect(Collectors.toUnmodifiableMap(
        Application::host, Function.identity()));
  }

  public List<Application> all() {
    return all;
  }

  /** Finds the application for a request's host, given with or without port. */
  public Optional<Application> forHost(String hostHeader) {
    return Optional.ofNullable(byHost.get(normalizeHost(hostHeader)));
  }

  public Optional<Application> byName(String name) {
    return all.stream().filter(a -> a.name().equals(name)).findFirst();
  }

  /**
   * Lower-cases a host, drops the port and one trailing dot. Returns "" for null. IPv6
   * literals keep their brackets.
   */
  public static String normalizeHost(String hostHeader) {
    if (hostHeader == null) {
      return "";
    }
    String host = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.lastIndexOf(':');
    if (colon >= 0) {
      host = host.substring(0, colon);
    }
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    return host;
  }
}
