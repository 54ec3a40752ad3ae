package dev.portcullis.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides requests for applications. Pure: no I/O, no clock, safe to share between threads.
 *
 * <p>Policies are tried by action class (an application keeps them sorted by class, file order
 * within), and the first that matches decides. {@code bypass} policies are tried for every
 * request, {@code service_auth} policies for requests carrying a service token, and
 * {@code block} then {@code allow} policies only for a signed-in person: an allow policy can
 * never admit a request that proved nothing, and a service token never passes a policy written
 * for people. When nothing matches the answer is a denial: {@code user-unauthenticated} when
 * nobody proved anything (so a browser is sent to log in), otherwise {@code user-unauthorized}
 * or {@code service-token-unauthorized}.
 *
 * <p>A decision builds no text beyond its short summary: {@link Decision#trace()} renders the
 * explanation when something reads it.
 */
public final class PolicyEngine {
  private static final String NOBODY = "skipped (nobody signed in)";
  private static final String NO_TOKEN = "skipped (no service token)";

  public Decision decide(Application app, Subject subject) {
    List<Decision.Step> steps = new ArrayList<>(app.policies().size());
    for (Policy policy : app.policies()) {
      Action action = policy.action();
      if (action == Action.SERVICE_AUTH && !subject.machine()) {
        steps.add(new Decision.Step(policy, NO_TOKEN, null));
        continue;
      }
      if ((action == Action.ALLOW || action == Action.BLOCK) && !subject.signedIn()) {
        steps.add(new Decision.Step(policy, NOBODY, null));
        continue;
      }
      if (action != Action.BYPASS && action != Action.SERVICE_AUTH
          && !app.allowsIdentityProvider(subject.idp())) {
        steps.add(new Decision.Step(null, "identity provider '" + subject.idp()
            + "' is not allowed for '" + app.name() + "'", null));
        return new Decision(false, null, Reason.IDP_NOT_ALLOWED, null,
            "signing in with '" + subject.idp() + "' is not allowed for '" + app.name() + "'",
            steps, subject);
      }
      Rules.Match match = policy.rules().evaluate(subject);
      steps.add(new Decision.Step(policy, null, match));
      if (!match.matched()) {
        continue;
      }
      return switch (action) {
        case BYPASS -> new Decision(true, action, Reason.BYPASSED, policy.name(),
            "bypassed by policy '" + policy.name() + "'", steps, subject);
        case ALLOW, SERVICE_AUTH -> new Decision(true, action, Reason.ALLOWED, policy.name(),
            "allowed by policy '" + policy.name() + "'", steps, subject);
        case BLOCK -> new Decision(false, action, Reason.POLICY_BLOCKED, policy.name(),
            "blocked by policy '" + policy.name() + "'", steps, subject);
      };
    }
    if (subject.signedIn()) {
      return new Decision(false, null, Reason.USER_UNAUTHORIZED, null,
          "no policy of '" + app.name() + "' allows " + subject.email(), steps, subject);
    }
    if (subject.machine()) {
      return new Decision(false, null, Reason.SERVICE_TOKEN_UNAUTHORIZED, null,
          "no policy of '" + app.name() + "' allows service token '" + subject.serviceToken()
              + "'", steps, subject);
    }
    return new Decision(false, null, Reason.USER_UNAUTHENTICATED, null, "sign in required",
        steps, subject);
  }
}
