package dev.portcullis.gateway;

import dev.portcullis.policy.Subject;
import dev.portcullis.session.IdentityFacts;
import dev.portcullis.session.SessionClaims;
import java.net.InetAddress;

/** Builds the policy engine's {@link Subject} from a verified session. */
final class Subjects {
  private Subjects() {}

  static Subject of(SessionClaims session, InetAddress client) {
    IdentityFacts facts = session.facts();
    return Subject.builder()
        .email(session.email())
        .idp(session.idp())
        .githubOrgs(facts.githubOrgs())
        .githubTeams(facts.githubTeams())
        .groups(facts.groups())
        .claims(facts.claims())
        .clientAddress(client)
        .build();
  }
}
