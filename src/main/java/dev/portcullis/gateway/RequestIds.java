package dev.portcullis.gateway;

import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: assigned when a request arrives, sent back in {@code X-Request-Id}, logged with
 * every event of the request and shown on error pages so that a person can quote it.
 */
final class RequestIds {
  static final String HEADER = "X-Request-Id";

  private RequestIds() {}

  /** Assigns an id to a new request. 64 random bits: unique enough to find one request. */
  static String assign(HttpServerRequest request) {
    String id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    request.response().putHeader(HEADER, id);
    return id;
  }

  /** The id assigned to this request. */
  static String of(HttpServerRequest request) {
    String id = request.response().headers().get(HEADER);
    return id == null ? "-" : id;
  }
}
