package dev.portcullis.identity;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Calls to identity providers: every call has a timeout, and every failure becomes a
 * {@link LoginFailure} of the right kind. Error bodies are summarized, never logged whole: they
 * can echo codes.
 */
final class ProviderHttp {
  private ProviderHttp() {}

  /** Sends and expects a 2xx JSON object. */
  static Future<JsonObject> object(HttpRequest<Buffer> request, Duration timeout, String what) {
    return send(request, timeout, what, null).compose(r -> parse(() -> r.bodyAsJsonObject(),
        what));
  }

  static Future<JsonObject> object(HttpRequest<Buffer> request, Duration timeout, String what,
      io.vertx.core.MultiMap form) {
    return send(request, timeout, what, form).compose(r -> parse(() -> r.bodyAsJsonObject(),
        what));
  }

  /** Sends and expects a 2xx response; the response is returned for headers and body. */
  static Future<HttpResponse<Buffer>> send(HttpRequest<Buffer> request, Duration timeout,
      String what, io.vertx.core.MultiMap form) {
    request.connectTimeout(timeout.toMillis()).idleTimeout(timeout.toMillis());
    // A deadline on the whole call: the idle timeout alone lets a provider that trickles a
    // byte now and then hold a sign-in open for ever.
    Future<HttpResponse<Buffer>> sent = (form == null ? request.send() : request.sendForm(form))
        .timeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    return sent.recover(e -> Future.failedFuture(transport(e, what))).compose(response -> {
      if (response.statusCode() == 401) {
        // The credentials were refused: a revoked token, or a wrong client secret.
        return Future.failedFuture(new LoginFailure(LoginFailure.Kind.TOKEN_INVALID,
            what + " refused the credentials (HTTP 401)"));
      }
      if (response.statusCode() / 100 != 2) {
        return Future.failedFuture(new LoginFailure(LoginFailure.Kind.PROVIDER_ERROR,
            what + " answered HTTP " + response.statusCode()));
      }
      return Future.succeededFuture(response);
    });
  }

  static JsonArray array(HttpResponse<Buffer> response, String what) {
    try {
      JsonArray array = response.bodyAsJsonArray();
      if (array == null) {
        throw new DecodeException("empty body");
      }
      return array;
    } catch (DecodeException | ClassCastException e) {
      throw new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE, what + " is not a JSON list");
    }
  }

  private interface Parse<T> {
    T parse();
  }

  private static <T> Future<T> parse(Parse<T> parse, String what) {
    try {
      T value = parse.parse();
      if (value == null) {
        throw new DecodeException("empty body");
      }
      return Future.succeededFuture(value);
    } catch (DecodeException | ClassCastException e) {
      return Future.failedFuture(new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE,
          what + " is not a JSON object"));
    }
  }

  private static LoginFailure transport(Throwable e, String what) {
    if (e instanceof LoginFailure failure) {
      return failure;
    }
    if (e instanceof TimeoutException || e instanceof ConnectTimeoutException) {
      return new LoginFailure(LoginFailure.Kind.PROVIDER_TIMEOUT, what + " timed out", e);
    }
    return new LoginFailure(LoginFailure.Kind.PROVIDER_UNREACHABLE, what + " unreachable: "
        + e.getClass().getSimpleName(), e);
  }

  static String string(JsonObject json, String key, String what) {
    Object value = json.getValue(key);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE, what + " has no '" + key
          + "'");
    }
    return text;
  }
}
