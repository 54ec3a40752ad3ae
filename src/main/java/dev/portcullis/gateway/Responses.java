package dev.portcullis.gateway;

import dev.portcullis.policy.Reason;
import dev.portcullis.proxy.UpstreamFailure;
import dev.portcullis.web.Pages;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * The one place where refusals and failures become HTTP responses. A browser (an HTML
 * {@code Accept}) gets a page, or for a missing login on a GET a redirect; every other client
 * gets JSON with an {@code error} code and the request id, and never a redirect.
 */
public final class Responses {
  private final Pages pages;
  private final java.util.function.Supplier<String> formActions;

  /**
   * @param formActions the CSP {@code form-action} sources; a form's redirect chain ends on an
   *     application host, and browsers apply {@code form-action} to every hop
   */
  public Responses(Pages pages, java.util.function.Supplier<String> formActions) {
    this.pages = pages;
    this.formActions = formActions;
  }

  /** Whether the client reads HTML: its {@code Accept} names {@code text/html}. */
  public static boolean wantsHtml(HttpServerRequest request) {
    String accept = request.getHeader(HttpHeaders.ACCEPT);
    return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/html");
  }

  /** A browser navigation that may be redirected to the login page. */
  public static boolean isBrowserNavigation(HttpServerRequest request) {
    return (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD)
        && wantsHtml(request);
  }

  /** No valid credential: 302 to the login page for browsers, 401 JSON for everything else. */
  public void unauthenticated(HttpServerRequest request, String requestId, String loginUrl) {
    if (isBrowserNavigation(request)) {
      redirect(request, loginUrl);
      return;
    }
    json(request, 401, error(Reason.USER_UNAUTHENTICATED.code(), "sign in required", requestId)
        .put("login_url", loginUrl));
  }

  /** Signed in but refused: 403 naming who is signed in, the application and why. */
  public void denied(HttpServerRequest request, String requestId, String application,
      String email, Reason reason, String summary, String switchUrl) {
    if (wantsHtml(request)) {
      Map<String, Object> params = new HashMap<>();
      params.put("application", application);
      params.put("email", email);
      params.put("reason", sentence(reason, summary));
      params.put("switchUrl", switchUrl);
      params.put("requestId", requestId);
      html(request, 403, pages.render("denied", params));
      return;
    }
    json(request, 403, error(reason.code(), summary, requestId).put("application", application)
        .put("email", email));
  }

  public void notFound(HttpServerRequest request, String requestId, String what) {
    problem(request, 404, Reason.APP_NOT_FOUND.code(), "Not found", what, requestId);
  }

  public void badRequest(HttpServerRequest request, String requestId, String message) {
    problem(request, 400, "bad-request", "Bad request", message, requestId);
  }

  public void upstreamFailed(HttpServerRequest request, String requestId,
      UpstreamFailure failure) {
    if (failure == UpstreamFailure.TIMED_OUT) {
      problem(request, 504, "upstream-timeout", "The application did not answer",
          "The application behind this address did not answer in time. Try again shortly.",
          requestId);
    } else {
      problem(request, 502, "upstream-unavailable", "The application is unavailable",
          "The application behind this address could not be reached. Try again shortly.",
          requestId);
    }
  }

  public void internalError(HttpServerRequest request, String requestId) {
    problem(request, 500, "internal-error", "Something went wrong",
        "Portcullis could not complete this request. Nothing was changed.", requestId);
  }

  /** A page or JSON for a status other than the ones above. */
  public void problem(HttpServerRequest request, int status, String code, String title,
      String message, String requestId) {
    if (wantsHtml(request)) {
      html(request, status, pages.message(title, message, null, null, requestId));
    } else {
      json(request, status, error(code, message, requestId));
    }
  }

  public void html(HttpServerRequest request, int status, String body) {
    HttpServerResponse response = prepare(request, status);
    response.putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action " + formActions.get()
                + "; frame-ancestors 'none'; base-uri 'none'")
        .putHeader("X-Frame-Options", "DENY")
        .end(body);
  }

  public void json(HttpServerRequest request, int status, JsonObject body) {
    prepare(request, status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }

  public void redirect(HttpServerRequest request, String location) {
    prepare(request, 302).putHeader(HttpHeaders.LOCATION, location).end();
  }

  private static HttpServerResponse prepare(HttpServerRequest request, int status) {
    // A refused request's body is never read; resuming lets the connection drain it.
    request.resume();
    return request.response().setStatusCode(status)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
  }

  private static JsonObject error(String code, String message, String requestId) {
    return new JsonObject().put("error", code).put("message", message)
        .put("request_id", requestId);
  }

  private static String sentence(Reason reason, String summary) {
    return switch (reason) {
      case POLICY_BLOCKED -> "your access is blocked by a policy";
      case USER_UNAUTHORIZED -> "no policy of this application lets you in";
      case IDP_NOT_ALLOWED -> "this application does not accept the way you signed in";
      default -> summary;
    };
  }
}
