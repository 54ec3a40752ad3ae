package dev.portcullis.gateway;

import dev.portcullis.audit.Audit;
import dev.portcullis.config.PortcullisConfig.IdentityProvider;
import dev.portcullis.identity.GithubProvider;
import dev.portcullis.identity.LoginFailure;
import dev.portcullis.store.Store;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the GitHub organizations and teams of live sessions whose provider has a
 * {@code recheck_interval}, so that removal from an organization or team ends access without
 * waiting for the session to expire.
 *
 * <p>A session loses nothing when membership grows (the new memberships count from the next
 * login). It is revoked when any organization or team it was granted is gone, or when GitHub
 * refuses the token (revoked, or the app was uninstalled). When GitHub cannot be reached or
 * answers with an error, the session is kept and checked again after the interval: an outage at
 * GitHub must not sign everyone out. Checks run on the event loop's timer; store work on worker
 * threads.
 */
final class MembershipRechecks {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipRechecks.class);
  /** Sessions checked per run; the rest wait for the next run. */
  private static final int BATCH = 100;

  private final Services services;
  private final Supplier<Settings> settings;

  MembershipRechecks(Services services, Supplier<Settings> settings) {
    this.services = services;
    this.settings = settings;
  }

  /** Checks the due sessions; completes with how many were revoked. Never fails. */
  Future<Integer> run() {
    Instant now = services.clock().instant();
    return services.blocking(() -> services.store().dueGithubGrants(now, BATCH))
        .compose(due -> {
          List<Future<Boolean>> checks = due.stream().map(this::check).toList();
          return Future.join(checks).map(done -> (int) checks.stream()
              .filter(f -> Boolean.TRUE.equals(f.result())).count());
        })
        .otherwise(e -> {
          LOG.atWarn().setMessage("membership re-check failed").setCause(e).log();
          return 0;
        });
  }

  /** Checks one session; completes with true when it was revoked. */
  private Future<Boolean> check(Store.GithubGrant grant) {
    Settings s = settings.get();
    IdentityProvider idp = s.config().identityProvider(grant.idp()).orElse(null);
    Duration interval = idp == null || idp.oauth() == null ? null
        : idp.oauth().recheckInterval();
    if (interval == null || !(s.redirectProviders().get(grant.idp())
        instanceof GithubProvider github)) {
      // The provider no longer re-checks: nothing left to do for this session.
      return services.blocking(() -> {
        services.store().deleteGithubGrant(grant.sid());
        return false;
      });
    }
    String token;
    try {
      token = services.sealer().unseal(grant.sealedToken());
    } catch (java.security.GeneralSecurityException e) {
      return revoke(grant, "the stored token cannot be unsealed");
    }
    return github.identity(token).compose(identity -> {
      Set<String> lost = new HashSet<>(strings(grant.orgs()));
      lost.removeAll(identity.facts().githubOrgs());
      Set<String> lostTeams = new HashSet<>(strings(grant.teams()));
      lostTeams.removeAll(identity.facts().githubTeams());
      lost.addAll(lostTeams);
      if (!lost.isEmpty()) {
        return revoke(grant, "membership ended: " + String.join(", ", lost.stream().sorted()
            .toList()));
      }
      return reschedule(grant, interval);
    }, failure -> {
      if (failure instanceof LoginFailure f && f.kind() == LoginFailure.Kind.TOKEN_INVALID) {
        return revoke(grant, "GitHub refused the token");
      }
      LOG.atWarn().setMessage("GitHub membership could not be re-checked; the session stays "
          + "until the next check").addKeyValue("sid", grant.sid())
          .addKeyValue("error", failure.getMessage()).log();
      return reschedule(grant, interval);
    });
  }

  private Future<Boolean> reschedule(Store.GithubGrant grant, Duration interval) {
    return services.blocking(() -> {
      services.store().rescheduleGithubGrant(grant.sid(),
          services.clock().instant().plus(interval));
      return false;
    });
  }

  private Future<Boolean> revoke(Store.GithubGrant grant, String why) {
    return services.blocking(() -> {
      services.revocations().revoke(grant.sid(), grant.expiresAt());
      services.store().deleteGithubGrant(grant.sid());
      Audit.event("session_revoked").addKeyValue("sid", grant.sid())
          .addKeyValue("idp", grant.idp()).addKeyValue("reason", why).log();
      return true;
    });
  }

  private static List<String> strings(String json) {
    return new JsonArray(json).stream().map(String::valueOf).toList();
  }
}
