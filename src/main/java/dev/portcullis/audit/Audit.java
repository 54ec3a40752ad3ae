package dev.portcullis.audit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit stream: logins, logouts, revocations and PIN requests, apart from the access log
 * so that it can be kept longer and shipped elsewhere (logger {@code portcullis.audit}). Events
 * name people by email and sessions by id; they never carry a PIN, token or cookie.
 */
public final class Audit {
  private static final Logger LOG = LoggerFactory.getLogger("portcullis.audit");

  private Audit() {}

  /** Starts an event; add fields and call {@code log()}. */
  public static LoggingEventBuilder event(String name) {
    return LOG.atInfo().setMessage(name).addKeyValue("event", name);
  }
}
