package dev.portcullis.proxy;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the gateway adds to one request on its way to the upstream.
 *
 * @param requestId the id logged with the request and shown on error pages
 * @param identityHeaders headers to set after hygiene, such as {@code X-Portcullis-Email}
 * @param forwardedFor the full {@code X-Forwarded-For} chain to send
 * @param forwardedProto the scheme the client used
 * @param forwardedHost the host the client asked for
 * @param portcullisOwnsCors whether Portcullis answers CORS for this application, so that the
 *     upstream's own {@code Access-Control-*} headers are dropped
 */
public record ForwardedRequest(
    String requestId, Map<String, String> identityHeaders, String forwardedFor,
    String forwardedProto, String forwardedHost, boolean portcullisOwnsCors) {

  public ForwardedRequest {
    identityHeaders = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(identityHeaders));
  }

  @Override
  public String toString() {
    // The assertion is a bearer credential for the upstream: show the names only.
    return "ForwardedRequest[requestId=" + requestId + ", headers=" + identityHeaders.keySet()
        + "]";
  }
}
