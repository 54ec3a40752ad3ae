package dev.portcullis.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

/**
 * Issues and verifies Portcullis's JWTs: session and app cookies, the login-flow cookie and the
 * assertions handed to upstreams. All are ES256, signed by the {@link KeyRing}.
 *
 * <p>Design: ES256 verification costs about 0.5 ms, too much for every request, so a token
 * whose signature verified is remembered (keyed by its full text) and later requests only
 * re-check its claims against the clock, audience and use. A bounded cache keeps memory flat
 * whatever clients send. Anything unexpected (another algorithm, {@code none}, an unknown
 * {@code kid}, a bad signature, a wrong issuer, audience or use, expiry) makes the token count
 * as absent; the reason is returned for logging, never the token.
 */
public final class Tokens {
  /** Seconds of tolerated clock difference between instances for {@code iat}. */
  private static final Duration SKEW = Duration.ofSeconds(30);
  /** An assertion is re-signed when less than this is left of it. */
  private static final Duration ASSERTION_RENEWAL = Duration.ofSeconds(60);
  /** Enough for every live token of a large team; evicted tokens are simply verified again. */
  private static final int CACHE_SIZE = 50_000;

  private final KeyRing keys;
  private final Clock clock;
  private final String issuer;
  private final Cache<String, JWTClaimsSet> verified;
  private final Cache<String, Signed> assertions;

  public Tokens(KeyRing keys, Clock clock, String issuer) {
    this.keys = keys;
    this.clock = clock;
    this.issuer = issuer;
    this.verified = Caffeine.newBuilder().maximumSize(CACHE_SIZE)
        .expireAfterAccess(Duration.ofHours(1)).build();
    this.assertions = Caffeine.newBuilder().maximumSize(CACHE_SIZE)
        .expireAfterAccess(Duration.ofHours(1)).build();
  }

  /** Signs a session-shaped token (session or app cookie) for one audience. */
  public String issue(TokenUse use, String audience, SessionClaims session, Instant expiresAt) {
    return sign(sessionClaims(use, audience, session, expiresAt).build());
  }

  /**
   * The assertion for one session at one application, signed once and reused until shortly
   * before it expires.
   */
  public String assertion(SessionClaims session, String application) {
    String key = session.sid() + "\0" + application;
    Instant now = clock.instant();
    Signed cached = assertions.getIfPresent(key);
    if (cached != null && cached.expiresAt().minus(ASSERTION_RENEWAL).isAfter(now)) {
      return cached.token();
    }
    String token = sign(sessionClaims(TokenUse.ASSERTION, application, session,
        session.expiresAt()).issueTime(Date.from(now)).build());
    assertions.put(key, new Signed(token, session.expiresAt()));
    return token;
  }

  /** How long a service assertion lives; re-signed shortly before, once per token and app. */
  private static final Duration SERVICE_ASSERTION_LIFETIME = Duration.ofMinutes(10);

  /**
   * The assertion for a machine admitted by a service token (or a relay's service identity):
   * {@code sub} is {@code service:NAME}, {@code type} is {@code service}.
   */
  public String serviceAssertion(String serviceName, String application) {
    String key = "service\0" + serviceName + "\0" + application;
    Instant now = clock.instant();
    Signed cached = assertions.getIfPresent(key);
    if (cached != null && cached.expiresAt().minus(ASSERTION_RENEWAL).isAfter(now)) {
      return cached.token();
    }
    Instant expiresAt = now.plus(SERVICE_ASSERTION_LIFETIME);
    String token = sign(new JWTClaimsSet.Builder().issuer(issuer).audience(application)
        .subject("service:" + serviceName).claim("type", "service")
        .claim("service_token", serviceName).claim("use", TokenUse.ASSERTION.claim())
        .issueTime(Date.from(now)).expirationTime(Date.from(expiresAt)).build());
    assertions.put(key, new Signed(token, expiresAt));
    return token;
  }

  /** Signs the login-flow cookie: which email is logging in and where to go afterwards. */
  public String issueLogin(LoginFlow flow, Instant expiresAt) {
    return sign(new JWTClaimsSet.Builder().issuer(issuer).audience(issuer)
        .claim("use", TokenUse.LOGIN.claim()).claim("email", flow.email())
        .claim("idp", flow.idp()).claim("redirect_url", flow.redirectUrl())
        .issueTime(Date.from(clock.instant()))
        .expirationTime(Date.from(expiresAt)).build());
  }

  /** Verifies a session or app token; empty means "no valid token", whatever the cause. */
  public Optional<SessionClaims> verify(String token, TokenUse use, String audience) {
    return verifiedClaims(token, use, audience).map(c -> {
      Object sid = c.getClaim("sid");
      Object email = c.getClaim("email");
      Object idp = c.getClaim("idp");
      if (!(sid instanceof String) || !(email instanceof String) || !(idp instanceof String)
          || c.getSubject() == null || c.getIssueTime() == null) {
        return null;
      }
      return new SessionClaims((String) sid, c.getSubject(), (String) email, (String) idp,
          c.getIssueTime().toInstant(), c.getExpirationTime().toInstant(), facts(c));
    });
  }

  /** Verifies the login-flow cookie. */
  public Optional<LoginFlow> verifyLogin(String token) {
    return verifiedClaims(token, TokenUse.LOGIN, issuer).map(c -> {
      Object email = c.getClaim("email");
      Object idp = c.getClaim("idp");
      Object redirect = c.getClaim("redirect_url");
      return email instanceof String e && idp instanceof String i && redirect instanceof String r
          ? new LoginFlow(e, i, r) : null;
    });
  }

  /**
   * Signs the cookie of a sign-in through a redirecting provider. The cookie outlives the flow
   * ({@code cookieExpiresAt}) so that a late callback can be told it was too late.
   */
  public String issueFlow(dev.portcullis.identity.OAuthFlow flow, Instant cookieExpiresAt) {
    return sign(new JWTClaimsSet.Builder().issuer(issuer).audience(issuer)
        .claim("use", TokenUse.OAUTH_FLOW.claim()).claim("idp", flow.idp())
        .claim("state", flow.state()).claim("nonce", flow.nonce())
        .claim("verifier", flow.verifier()).claim("redirect_url", flow.redirectUrl())
        .claim("flow_exp", flow.expiresAt().toEpochMilli())
        .issueTime(Date.from(clock.instant())).expirationTime(Date.from(cookieExpiresAt))
        .build());
  }

  /** Verifies a flow cookie; the flow's own expiry is left to the caller to check. */
  public Optional<dev.portcullis.identity.OAuthFlow> verifyFlow(String token) {
    return verifiedClaims(token, TokenUse.OAUTH_FLOW, issuer).map(c -> {
      Object idp = c.getClaim("idp");
      Object state = c.getClaim("state");
      Object nonce = c.getClaim("nonce");
      Object verifier = c.getClaim("verifier");
      Object redirect = c.getClaim("redirect_url");
      Object exp = c.getClaim("flow_exp");
      return idp instanceof String i && state instanceof String st && nonce instanceof String n
          && verifier instanceof String v && redirect instanceof String r
          && exp instanceof Number e
          ? new dev.portcullis.identity.OAuthFlow(i, st, n, v, r,
              Instant.ofEpochMilli(e.longValue()))
          : null;
    });
  }

  /**
   * A PIN login in progress.
   *
   * @param redirectUrl where to go after login; "" means the launcher
   */
  public record LoginFlow(String email, String idp, String redirectUrl) {}

  private Optional<JWTClaimsSet> verifiedClaims(String token, TokenUse use, String audience) {
    if (token == null || token.isEmpty() || token.length() > 8192) {
      return Optional.empty();
    }
    JWTClaimsSet claims = verified.getIfPresent(token);
    if (claims == null) {
      claims = verifySignature(token);
      if (claims == null) {
        return Optional.empty();
      }
      verified.put(token, claims);
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    Date iat = claims.getIssueTime();
    boolean valid = issuer.equals(claims.getIssuer())
        && claims.getAudience().equals(java.util.List.of(audience))
        && use.claim().equals(claims.getClaim("use"))
        && exp != null && now.isBefore(exp.toInstant())
        && (iat == null || !iat.toInstant().isAfter(now.plus(SKEW)));
    return valid ? Optional.of(claims) : Optional.empty();
  }

  /** Returns the claims when the signature is ours and valid, else null. */
  private JWTClaimsSet verifySignature(String token) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      JWSHeader header = jwt.getHeader();
      if (!JWSAlgorithm.ES256.equals(header.getAlgorithm()) || header.getCriticalParams() != null
          && !header.getCriticalParams().isEmpty()) {
        return null;
      }
      Optional<ECKey> key = keys.verifyingKey(header.getKeyID());
      if (key.isEmpty() || !jwt.verify(new ECDSAVerifier(key.get().toECPublicKey()))) {
        return null;
      }
      return jwt.getJWTClaimsSet();
    } catch (ParseException | JOSEException | RuntimeException e) {
      // A malformed token is simply no token; its content is never logged.
      return null;
    }
  }

  private JWTClaimsSet.Builder sessionClaims(TokenUse use, String audience,
      SessionClaims session, Instant expiresAt) {
    JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().issuer(issuer).audience(audience)
        .subject(session.userId()).claim("email", session.email()).claim("idp", session.idp())
        .claim("sid", session.sid()).claim("use", use.claim())
        .issueTime(Date.from(session.issuedAt())).expirationTime(Date.from(expiresAt));
    IdentityFacts facts = session.facts();
    // Empty facts are left out: a PIN login's tokens stay as small as before.
    putIfPresent(builder, "name", facts.name());
    putIfPresent(builder, "gh_login", facts.githubLogin());
    putIfPresent(builder, "gh_orgs", sorted(facts.githubOrgs()));
    putIfPresent(builder, "gh_teams", sorted(facts.githubTeams()));
    putIfPresent(builder, "groups", sorted(facts.groups()));
    if (!facts.claims().isEmpty()) {
      builder.claim("claims", new java.util.TreeMap<>(facts.claims()));
    }
    return builder;
  }

  private static void putIfPresent(JWTClaimsSet.Builder builder, String name, Object value) {
    if (value != null && !(value instanceof java.util.List<?> list && list.isEmpty())) {
      builder.claim(name, value);
    }
  }

  private static java.util.List<String> sorted(java.util.Set<String> values) {
    return values.stream().sorted().toList();
  }

  /** Reads the identity facts back; anything of the wrong shape counts as absent. */
  private static IdentityFacts facts(JWTClaimsSet c) {
    java.util.Map<String, java.util.List<String>> claims = new java.util.HashMap<>();
    if (c.getClaim("claims") instanceof java.util.Map<?, ?> map) {
      map.forEach((k, v) -> {
        if (k instanceof String name && v instanceof java.util.List<?> values) {
          claims.put(name, values.stream().map(String::valueOf).toList());
        }
      });
    }
    return new IdentityFacts(stringClaim(c, "name"), stringClaim(c, "gh_login"),
        stringSet(c, "gh_orgs"), stringSet(c, "gh_teams"), stringSet(c, "groups"), claims);
  }

  private static String stringClaim(JWTClaimsSet c, String name) {
    return c.getClaim(name) instanceof String value ? value : null;
  }

  private static java.util.Set<String> stringSet(JWTClaimsSet c, String name) {
    return c.getClaim(name) instanceof java.util.List<?> list
        ? list.stream().map(String::valueOf).collect(java.util.stream.Collectors.toSet())
        : java.util.Set.of();
  }

  private String sign(JWTClaimsSet claims) {
    ECKey key = keys.signingKey();
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
          .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(new ECDSASigner(key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with key " + key.getKeyID(), e);
    }
  }

  private record Signed(String token, Instant expiresAt) {}

  /** For tests and metrics: how many distinct tokens are remembered as verified. */
  long verifiedCount() {
    verified.cleanUp();
    return verified.estimatedSize();
  }
}
