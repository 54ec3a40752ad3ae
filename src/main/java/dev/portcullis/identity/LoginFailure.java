package dev.portcullis.identity;

/**
 * A sign-in through an identity provider that did not work. The kind decides what the person is
 * told; the detail goes to the log and never contains a secret, code or token.
 */
public final class LoginFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, with the sentence a person is shown. */
  public enum Kind {
    PROVIDER_UNREACHABLE("provider-unreachable", 502,
        "The sign-in provider could not be reached. Try again in a moment."),
    PROVIDER_TIMEOUT("provider-timeout", 504,
        "The sign-in provider did not answer in time. Try again in a moment."),
    PROVIDER_ERROR("provider-error", 502,
        "The sign-in provider answered with an error. Try again in a moment."),
    CONSENT_DENIED("consent-denied", 403,
        "Sign-in was cancelled at the provider, so Portcullis cannot tell who you are."),
    STATE_MISMATCH("state-mismatch", 400,
        "This sign-in did not start in this browser, or was already used. Start again."),
    FLOW_EXPIRED("login-expired", 400, "This sign-in took too long and expired. Start again."),
    TOKEN_INVALID("token-invalid", 502,
        "The sign-in provider's answer could not be verified. Start again."),
    NONCE_MISMATCH("nonce-mismatch", 400,
        "This sign-in's answer belongs to another sign-in. Start again."),
    EMAIL_UNVERIFIED("email-unverified", 403,
        "Your account has no verified email address at the provider that Portcullis can use "
            + "(GitHub: the primary address must be verified). Verify it there, then sign in "
            + "again."),
    MALFORMED_RESPONSE("malformed-response", 502,
        "The sign-in provider sent an answer Portcullis does not understand.");

    private final String code;
    private final int status;
    private final String message;

    Kind(String code, int status, String message) {
      this.code = code;
      this.status = status;
      this.message = message;
    }

    /** A stable kebab-case name for logs and JSON. */
    public String code() {
      return code;
    }

    public int status() {
      return status;
    }

    /** What the person is told. */
    public String message() {
      return message;
    }
  }

  private final Kind kind;

  public LoginFailure(Kind kind, String detail) {
    super(detail);
    this.kind = kind;
  }

  public LoginFailure(Kind kind, String detail, Throwable cause) {
    super(detail, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
