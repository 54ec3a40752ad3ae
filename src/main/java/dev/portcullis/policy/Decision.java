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
 * @param steps every policy considered and what happened to it; see {@link #trace()}
 * @param subject whom the decision was about, to explain it
 */
public record Decision(
    boolean allowed, Action action, Reason reason, String policy, String summary,
    List<Step> steps, Subject subject) {

  public Decision {
    steps = List.copyOf(steps);
  }

  /** A decision that tried no policy. */
  public static Decision without(boolean allowed, Reason reason, String summary) {
    return new Decision(allowed, null, reason, null, summary, List.of(), null);
  }

  /**
   * One policy tried: skipped for a reason, or evaluated with this match.
   *
   * @param note why the policy was skipped, or a remark that replaced evaluation; else null
   */
  public record Step(Policy policy, String note, Rules.Match match) {}

  /** The request passes without identity (a {@code bypass} policy matched). */
  public boolean bypassed() {
    return allowed && action == Action.BYPASS;
  }

  /** The steps in words, one line a policy: rendered on demand, as logs of denials need. */
  public List<String> trace() {
    return steps.stream().map(step -> {
      if (step.policy() == null) {
        return step.note();
      }
      String head = step.policy().action().configName() + " '" + step.policy().name() + "': ";
      return head + (step.note() != null ? step.note() : step.match().explanation(subject));
    }).toList();
  }
}
