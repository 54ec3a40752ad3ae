package dev.portcullis.gateway;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what the gateway did that nobody else would see: bypassed requests, relay envelopes
 * accepted and refused by reason, CORS refusals. Kept in memory per process; a metrics endpoint
 * can publish them later.
 */
public final class Counters {
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  void increment(String name) {
    counts.computeIfAbsent(name, n -> new LongAdder()).increment();
  }

  /** A copy of every count, by name. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((name, count) -> out.put(name, count.sum()));
    return out;
  }
}
