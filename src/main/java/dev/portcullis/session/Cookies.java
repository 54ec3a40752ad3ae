package dev.portcullis.session;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import java.time.Duration;
import java.time.Instant;

/**
 * Portcullis's cookies. All are host-only (no {@code Domain}), {@code HttpOnly},
 * {@code SameSite=Lax} and {@code Secure} whenever the auth domain is served over https. Their
 * names share the prefix that {@link dev.portcullis.proxy.HeaderHygiene} strips upstream.
 */
public final class Cookies {
  /** The auth domain's global session. */
  public static final String SESSION = "portcullis_session";
  /** One application's token, on that application's host. */
  public static final String APP = "portcullis_app";
  /** The PIN login in progress. */
  public static final String LOGIN = "portcullis_login";
  /** A sign-in through GitHub or OpenID Connect in progress. */
  public static final String OAUTH_FLOW = "portcullis_oauth";
  /** The CSRF secret that the auth domain's forms are bound to. */
  public static final String CSRF = "portcullis_csrf";

  private final boolean secure;

  public Cookies(boolean secure) {
    this.secure = secure;
  }

  /** A cookie that expires with the token it carries. */
  public Cookie create(String name, String value, Instant expiresAt, Instant now) {
    long seconds = Math.max(0, Duration.between(now, expiresAt).toSeconds());
    return base(name, value).setMaxAge(seconds);
  }

  /** A browser-session cookie (no expiry). */
  public Cookie create(String name, String value) {
    return base(name, value);
  }

  /** The header that makes the browser drop a cookie. */
  public Cookie expired(String name) {
    return base(name, "").setMaxAge(0);
  }

  private Cookie base(String name, String value) {
    return Cookie.cookie(name, value).setPath("/").setHttpOnly(true).setSecure(secure)
        .setSameSite(CookieSameSite.LAX);
  }
}
