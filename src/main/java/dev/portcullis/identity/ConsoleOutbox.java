package dev.portcullis.identity;

import io.vertx.core.Future;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * PIN delivery for trying Portcullis out ({@code delivery: console}): prints each message to the
 * console and keeps the last few for the demo outbox page. Never use it where other people can
 * read the console; Portcullis warns at start when it is configured.
 */
public final class ConsoleOutbox implements PinMailer {
  /** Enough for a demo; older messages drop off. */
  private static final int KEEP = 20;

  private final PrintStream console;
  private final Clock clock;
  private final Deque<Delivered> recent = new ArrayDeque<>();

  public ConsoleOutbox(PrintStream console, Clock clock) {
    this.console = console;
    this.clock = clock;
  }

  @Override
  public Future<Void> send(PinMessage message) {
    synchronized (recent) {
      recent.addFirst(new Delivered(clock.instant(), message));
      while (recent.size() > KEEP) {
        recent.removeLast();
      }
    }
    console.println("[outbox] code " + message.code() + " for " + message.to() + " (app "
        + message.application() + ", valid " + message.lifetime().toMinutes() + " minutes)");
    console.flush();
    return Future.succeededFuture();
  }

  /** The most recent messages, newest first. */
  public List<Delivered> recent() {
    synchronized (recent) {
      return List.copyOf(recent);
    }
  }

  public record Delivered(Instant at, PinMessage message) {}
}
