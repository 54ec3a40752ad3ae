package dev.portcullis.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides requests for applications. Pure: no I/O, no clock, safe to share between threads.
 *
 * <p>Policies are tried by action class ({@link Action#rank()}), in file order inside a class;
 * the first that matches decides. When nothing matches the answer is a denial: a request from
 * nobody is {@code user-unauthenticated} (so that a browser is sent to log in), a request from
 * somebody is {@code user-unauthorized}.
 */
public final class PolicyEngine {

  public Decision decide(Application app, Subject subject) {
    List<String> trace = new ArrayList<>();
    if (subject.signedIn() && !app.allowsIdentityProvider(subject.idp())) {
      trace.add("identity provider '" + subject.idp() + "' is not allowed for '" + app.name()
          + "'");
      return new Decision(false, Reason.IDP_NOT_ALLOWED, null,
          "signing in with '" + subject.idp() + "' is not allowed for '" + app.name() + "'",
          trace);
    }
    List<Policy> ordered = app.policies().stream()
        .sorted(Comparator.comparingInt(p -> p.action().rank()))
        .toList();
    for (Policy policy : ordered) {
      Policy.Match match = policy.evaluate(subject);
      trace.add(policy.action().configName() + " '" + policy.name() + "': "
          + match.explanation());
      if (!match.matched()) {
        continue;
      }
      return switch (policy.action()) {
        case ALLOW, BYPASS, SERVICE_AUTH -> new Decision(true, Reason.ALLOWED, policy.name(),
            "allowed by policy '" + policy.name() + "'", trace);
        case BLOCK -> new Decision(false, Reason.POLICY_BLOCKED, policy.name(),
            "blocked by policy '" + policy.name() + "'", trace);
      };
    }
    if (!subject.signedIn()) {
      return new Decision(false, Reason.USER_UNAUTHENTICATED, null, "sign in required", trace);
    }
    return new Decision(false, Reason.USER_UNAUTHORIZED, null,
        "no policy of '" + app.name() + "' allows " + subject.email(), trace);
  }
}
