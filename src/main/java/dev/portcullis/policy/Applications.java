package dev.portcullis.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The configured applications, indexed by host for the request path. The most specific
 * application wins: an exact host before a wildcard ({@code *.example.com}), then the longest
 * path prefix. Lookups cost one or two hash lookups plus a walk over the few applications that
 * share a host.
 */
public final class Applications {
  private final List<Application> all;
  /** Exact host to its applications, longest path prefix first. */
  private final Map<String, List<Application>> exact;
  /** Parent domain of a wildcard ("example.com" for "*.example.com") to its applications. */
  private final Map<String, List<Application>> wildcard;

  public Applications(List<Application> all) {
    this.all = List.copyOf(all);
    Map<String, List<Application>> exact = new HashMap<>();
    Map<String, List<Application>> wildcard = new HashMap<>();
    for (Application app : all) {
      if (app.wildcard()) {
        wildcard.computeIfAbsent(app.host().substring(2), h -> new ArrayList<>()).add(app);
      } else {
        exact.computeIfAbsent(app.host(), h -> new ArrayList<>()).add(app);
      }
    }
    this.exact = sorted(exact);
    this.wildcard = sorted(wildcard);
  }

  private static Map<String, List<Application>> sorted(Map<String, List<Application>> byHost) {
    Map<String, List<Application>> out = new HashMap<>();
    byHost.forEach((host, apps) -> out.put(host, apps.stream()
        .sorted(Comparator.comparingInt((Application a) -> a.pathPrefix().length()).reversed())
        .toList()));
    return Map.copyOf(out);
  }

  public List<Application> all() {
    return all;
  }

  /**
   * Finds the application for a host (with or without port) and a normalized path.
   */
  public Optional<Application> find(String hostHeader, String normalizedPath) {
    String host = normalizeHost(hostHeader);
    Application found = first(exact.get(host), normalizedPath);
    if (found == null) {
      int dot = host.indexOf('.');
      if (dot > 0) {
        found = first(wildcard.get(host.substring(dot + 1)), normalizedPath);
      }
    }
    return Optional.ofNullable(found);
  }

  /** Whether any application is served at this host, whatever the path. */
  public boolean servesHost(String hostHeader) {
    String host = normalizeHost(hostHeader);
    int dot = host.indexOf('.');
    return exact.containsKey(host) || dot > 0 && wildcard.containsKey(host.substring(dot + 1));
  }

  private static Application first(List<Application> candidates, String path) {
    if (candidates == null) {
      return null;
    }
    for (Application app : candidates) {
      if (RequestPath.underPrefix(path, app.pathPrefix())) {
        return app;
      }
    }
    return null;
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
