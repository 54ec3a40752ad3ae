package dev.portcullis.gateway;

import dev.portcullis.policy.Decision;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured event per access decision (logger {@code portcullis.access}): who asked for
 * what, the outcome, and for a denial the full trace of the policies tried. No header, cookie or
 * query value is logged: the query can carry codes and tokens.
 */
final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("portcullis.access");

  private AccessLog() {}

  static void decision(String requestId, String application, HttpServerRequest request,
      String path, String email, String client, Decision decision) {
    LOG.atInfo().setMessage("decision")
        .addKeyValue("request_id", requestId)
        .addKeyValue("app", application)
        .addKeyValue("method", request.method().name())
        .addKeyValue("host", request.authority() == null ? "" : request.authority().host())
        .addKeyValue("path", path)
        .addKeyValue("user", email == null ? "-" : email)
        .addKeyValue("client", client)
        .addKeyValue("action", decision.allowed() ? "allow" : "deny")
        .addKeyValue("reason", decision.reason().code())
        .addKeyValue("policy", decision.policy() == null ? "-" : decision.policy())
        // The full trace for denials only: an allowed request names its policy, and rendering
        // every policy's reasons would cost more than the decision itself.
        .addKeyValue("trace", decision.allowed() ? "-" : String.join("; ", decision.trace()))
        .log();
  }
}
