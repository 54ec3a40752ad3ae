package dev.portcullis.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides requests for applications. Pure: no I/O, no clock, safe to share between threads.
 *
 * <p>Policies are tried by action class, in file order inside a class; the first that matches
 * decides. {@code bypass} policies are tried for every request, {@code service_auth} policies
 * for requests carrying a service token, and {@code block} then {@code allow} policies only for
 * a signed-in person: an allow policy can never admit a request that proved nothing, and a
 * service token never passes a policy written for people. When nothing matches the answer is a
 * denial: {@code user-unauthenticated} when nobody proved anything (so a browser is sent to log
 * in), otherwise {@code user-unauthorized} or {@code service-token-unauthorized}.
 */
public final class PolicyEngine {

  public Decision decide(Application app, Subject subject) {
    List<String> trace = new ArrayList<>();
    List<Policy> ordered = app.policies().stream()
        .sorted(Comparator.comparingInt(p -> p.action().rank()))
        .toList();
    for (Policy policy : ordered) {
      Action action = policy.action();
      if (action == Action.SERVICE_AUTH && !subject.machine()) {
        trace.add(describe(policy) + ": skipped (no service token)");
        continue;
      }
      if ((action == Action.ALLOW || action == Action.BLOCK) && !subject.signedIn()) {
        trace.add(describe(policy) + ": skipped (nobody signed in)");
        continue;
      }
      if (action != Action.BYPASS && action != Action.SERVICE_AUTH && subject.signedIn()
          && !app.allowsIdentityProvider(subject.idp())) {
        trace.add("identity provider '" + subject.idp() + "' is not allowed for '"
            + app.name() + "'");
        return new Decision(false, null, Reason.IDP_NOT_ALLOWED, null,
            "signing in with '" + subject.idp() + "' is not allowed for '" + app.name() + "'",
            trace);
      }
      Rules.Match match = policy.rules().evaluate(subject);
      trace.add(describe(policy) + ": " + match.explanation());
      if (!match.matched()) {
        continue;
      }
      return switch (action) {
        case BYPASS -> new Decision(true, action, Reason.BYPASSED, policy.name(),
            "bypassed by policy '" + policy.name() + "'", trace);
        case ALLOW, SERVICE_AUTH -> new Decision(true, action, Reason.ALLOWED, policy.name(),
            "allowed by policy '" + policy.name() + "'", trace);
        case BLOCK -> new Decision(false, action, Reason.POLICY_BLOCKED, policy.name(),
            "blocked by policy '" + policy.name() + "'", trace);
      };
    }
    if (subject.signedIn()) {
      return new Decision(false, null, Reason.USER_UNAUTHORIZED, null,
          "no policy of '" + app.name() + "' allows " + subject.email(), trace);
    }
    if (subject.machine()) {
      return new Decision(false, null, Reason.SERVICE_TOKEN_UNAUTHORIZED, null,
          "no policy of '" + app.name() + "' allows service token '" + subject.serviceToken()
              + "'", trace);
    }
    return new Decision(false, null, Reason.USER_UNAUTHENTICATED, null, "sign in required",
        trace);
  }

  private static String describe(Policy policy) {
    return policy.action().configName() + " '" + policy.name() + "'";
  }
}
