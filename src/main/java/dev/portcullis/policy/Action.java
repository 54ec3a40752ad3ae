package dev.portcullis.policy;

/**
 * What a policy does when it matches. Policies are evaluated by class, never by file order
 * across classes: {@code bypass} and {@code service_auth} first, then {@code block}, then
 * {@code allow}.
 */
public enum Action {
  BYPASS("bypass", 0),
  SERVICE_AUTH("service_auth", 0),
  BLOCK("block", 1),
  ALLOW("allow", 2);

  private final String configName;
  private final int rank;

  Action(String configName, int rank) {
    this.configName = configName;
    this.rank = rank;
  }

  /** The name used in the configuration file and in logs. */
  public String configName() {
    return configName;
  }

  /** Lower ranks are evaluated first. */
  int rank() {
    return rank;
  }
}
