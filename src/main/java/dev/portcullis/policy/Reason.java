package dev.portcullis.policy;

/** Why a decision came out as it did; the names are stable and appear in logs and JSON. */
public enum Reason {
  ALLOWED("allowed"),
  BYPASSED("bypassed"),
  RELAYED("relayed"),
  USER_UNAUTHENTICATED("user-unauthenticated"),
  USER_UNAUTHORIZED("user-unauthorized"),
  SERVICE_TOKEN_UNAUTHORIZED("service-token-unauthorized"),
  POLICY_BLOCKED("policy-blocked"),
  IDP_NOT_ALLOWED("idp-not-allowed"),
  APP_NOT_FOUND("app-not-found"),
  BAD_REQUEST("bad-request");

  private final String code;

  Reason(String code) {
    this.code = code;
  }

  /** The kebab-case name used in JSON bodies and log fields. */
  public String code() {
    return code;
  }
}
