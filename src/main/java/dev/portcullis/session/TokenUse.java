package dev.portcullis.session;

/**
 * What a token is for, carried in its {@code use} claim. Checked on every verification so that
 * a token minted for one purpose (an upstream assertion, say) is never accepted as another.
 */
public enum TokenUse {
  /** The auth domain's global session cookie. */
  SESSION("session"),
  /** One application's host-only cookie. */
  APP("app"),
  /** The cookie that binds a PIN login in progress to one browser. */
  LOGIN("login"),
  /** The cookie that binds a sign-in through GitHub or OpenID Connect to one browser. */
  OAUTH_FLOW("oauth_flow"),
  /** The assertion handed to the upstream. */
  ASSERTION("assertion");

  private final String claim;

  TokenUse(String claim) {
    this.claim = claim;
  }

  public String claim() {
    return claim;
  }
}
