package dev.portcullis.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Fixed-window counters per key (an email, a client address). In memory: each instance counts
 * on its own. Bounded: the least recently used keys are forgotten first, which can only let a
 * forgotten key start a fresh window.
 */
public final class RateLimiter {
  private final int limit;
  private final Duration window;
  private final Clock clock;
  private final Cache<String, Window> windows;

  /**
   * @param limit how many events a key may have per window
   * @param window the window's length
   */
  public RateLimiter(int limit, Duration window, Clock clock) {
    this.limit = limit;
    this.window = window;
    this.clock = clock;
    this.windows = Caffeine.newBuilder().maximumSize(100_000).build();
  }

  /** Counts one event for the key; returns false when the key is over its limit. */
  public boolean tryAcquire(String key) {
    Instant now = clock.instant();
    Window updated = windows.asMap().compute(key, (k, current) ->
        current == null || !now.isBefore(current.start().plus(window))
            ? new Window(now, 1) : new Window(current.start(), current.count() + 1));
    return updated.count() <= limit;
  }

  public int limit() {
    return limit;
  }

  public Duration window() {
    return window;
  }

  private record Window(Instant start, int count) {}
}
