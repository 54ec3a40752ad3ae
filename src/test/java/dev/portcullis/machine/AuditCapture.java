package dev.portcullis.machine;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/** Records the audit stream's events during a test; close it to detach. */
final class AuditCapture implements AutoCloseable {
  private final Logger logger = (Logger) LoggerFactory.getLogger("portcullis.audit");
  private final Level previousLevel = logger.getLevel();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  AuditCapture() {
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.INFO);
    // Captured lines are asserted, not printed.
    logger.setAdditive(false);
  }

  /** Every event so far: its message, then its key-value fields as strings, in order. */
  List<Map<String, String>> events() {
    return appender.list.stream().map(e -> {
      Map<String, String> fields = new LinkedHashMap<>();
      fields.put("message", e.getFormattedMessage());
      if (e.getKeyValuePairs() != null) {
        e.getKeyValuePairs().forEach(kv -> fields.put(kv.key, String.valueOf(kv.value)));
      }
      return fields;
    }).toList();
  }

  /** Everything the events hold, flattened, for "never contains the secret" checks. */
  String allText() {
    return events().toString();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setLevel(previousLevel);
    logger.setAdditive(true);
  }
}
