package dev.portcullis.policy;

import java.util.List;
import java.util.Set;

/**
 * A public ingest path of an application that accepts only one kind of traffic and forwards it
 * under a service identity: for now {@code sentry_envelope}, what Sentry SDKs send to their
 * {@code tunnel}.
 *
 * @param path the normalized path that the SDK posts to, such as {@code /tunnel}
 * @param name the service identity the upstream sees in {@code X-Portcullis-Service-Token}
 * @param projects the Sentry project ids allowed through, as digits
 * @param maxBytes the largest body accepted, after decompression too
 * @param perMinute requests allowed per client address and minute
 */
public record Relay(String path, String kind, String name, Set<String> projects, int maxBytes,
    int perMinute) {

  public static final String SENTRY_ENVELOPE = "sentry_envelope";
  /** SDKs send an event or two a second at most; a burst of a hundred a minute is plenty. */
  public static final int DEFAULT_PER_MINUTE = 120;
  public static final List<String> KINDS = List.of(SENTRY_ENVELOPE);

  public Relay {
    projects = Set.copyOf(projects);
  }
}
