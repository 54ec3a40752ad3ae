package dev.portcullis.policy;

import java.util.List;

/**
 * The engine's answer for one request.
 *
 * @param allowed whether the request may reach the upstream
 * @param action the action of the policy that decided, or null when none matched
 * @param reason a stable reason code
 * @param policy the policy that decided, or null when none matched
 * @param summary one short sentence for the person refused
 * @param trace every policy considered and what happened to it, for logs and the tester
 */
public record Decision(
    boolean allowed, Action action, Reason reason, String policy, String summary,
    List<String> trace) {

  public Decision {
    trace = List.copyOf(trace);
  }

  /** The request passes without identity (a {@code bypass} policy matched). */
  public boolean bypassed() {
    return allowed && action == Action.BYPASS;
  }
}
