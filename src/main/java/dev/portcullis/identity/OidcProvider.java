package dev.portcullis.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.config.PortcullisConfig.OAuth;
import dev.portcullis.policy.PolicyInterest;
import dev.portcullis.session.IdentityFacts;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Sign in with any OpenID Connect provider: discovery, the authorization code flow with state,
 * nonce and PKCE, and a verified ID token.
 *
 * <p>Design: discovery and the provider's keys are fetched on first use and kept; a failed
 * fetch is not kept, so a provider that was down at start works once it is back. An ID token
 * signed with a key id Portcullis has not seen makes it fetch the keys again, at most once per
 * {@link #KEY_REFRESH_SPACING}, which follows a key rotation without letting forged key ids
 * turn every login into a fetch. Only asymmetric algorithms are accepted; {@code iss} must be
 * the discovered issuer, {@code aud} must contain the client id (and {@code azp} name it when
 * there are several audiences), {@code exp} and {@code iat} are checked against Portcullis's
 * clock with {@link #SKEW}, and {@code nonce} must be this flow's.
 */
public final class OidcProvider implements RedirectProvider {
  /** Tolerated clock difference with the provider; peers use one to five minutes. */
  static final Duration SKEW = Duration.ofSeconds(60);
  /** The keys are fetched again for an unknown key id at most this often. */
  static final Duration KEY_REFRESH_SPACING = Duration.ofSeconds(30);
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256,
      JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384,
      JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
      JWSAlgorithm.EdDSA);

  private final String id;
  private final OAuth settings;
  private final WebClient client;
  private final Clock clock;
  private final Supplier<PolicyInterest> interest;
  private volatile Future<Discovery> discovery;
  private volatile JWKSet keys;
  private volatile Instant keysFetchedAt = Instant.EPOCH;

  public OidcProvider(String id, OAuth settings, WebClient client, Clock clock,
      Supplier<PolicyInterest> interest) {
    this.id = id;
    this.settings = settings;
    this.client = client;
    this.clock = clock;
    this.interest = interest;
  }

  private record Discovery(String issuer, String authorization, String token, String jwks,
      String userinfo, boolean basicAuth) {}

  @Override
  public String id() {
    return id;
  }

  @Override
  public Future<String> authorizationUrl(OAuthFlow flow, String callbackUrl) {
    return discover().map(d -> d.authorization() + (d.authorization().contains("?") ? "&" : "?")
        + "response_type=code&client_id=" + enc(settings.clientId())
        + "&redirect_uri=" + enc(callbackUrl)
        + "&scope=" + enc(String.join(" ", settings.scopes()))
        + "&state=" + enc(flow.state()) + "&nonce=" + enc(flow.nonce())
        + "&code_challenge=" + enc(flow.challenge()) + "&code_challenge_method=S256");
  }

  @Override
  public Future<Identity> complete(String code, OAuthFlow flow, String callbackUrl) {
    return discover().compose(d -> exchange(d, code, flow, callbackUrl)
        .compose(tokens -> {
          String idToken = ProviderHttp.string(tokens, "id_token", "the token answer");
          return verify(d, idToken, flow).compose(claims -> settings.userinfo()
              ? userinfo(d, tokens, claims) : Future.succeededFuture(claims));
        })
        .map(this::identity));
  }

  private Future<Discovery> discover() {
    Future<Discovery> known = discovery;
    if (known != null && known.succeeded()) {
      return known;
    }
    String url = settings.issuer().toString().replaceAll("/+$", "")
        + "/.well-known/openid-configuration";
    Future<Discovery> fetched = ProviderHttp.object(client.getAbs(url), settings.timeout(),
        "OpenID discovery").map(json -> {
          String issuer = ProviderHttp.string(json, "issuer", "the discovery document");
          if (!issuer.equals(settings.issuer().toString())) {
            throw new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE, "discovery names "
                + "issuer " + issuer + ", not the configured " + settings.issuer());
          }
          List<String> methods = json.getJsonArray("token_endpoint_auth_methods_supported",
              new io.vertx.core.json.JsonArray()).stream().map(String::valueOf).toList();
          return new Discovery(issuer,
              ProviderHttp.string(json, "authorization_endpoint", "the discovery document"),
              ProviderHttp.string(json, "token_endpoint", "the discovery document"),
              ProviderHttp.string(json, "jwks_uri", "the discovery document"),
              json.getString("userinfo_endpoint"),
              methods.isEmpty() || methods.contains("client_secret_basic"));
        });
    discovery = fetched;
    return fetched;
  }

  private Future<JsonObject> exchange(Discovery d, String code, OAuthFlow flow,
      String callbackUrl) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "authorization_code")
        .add("code", code)
        .add("redirect_uri", callbackUrl)
        .add("code_verifier", flow.verifier());
    var request = client.postAbs(d.token()).putHeader("Accept", "application/json");
    if (d.basicAuth()) {
      request.basicAuthentication(enc(settings.clientId()),
          enc(settings.clientSecret().reveal()));
    } else {
      form.add("client_id", settings.clientId())
          .add("client_secret", settings.clientSecret().reveal());
    }
    return ProviderHttp.object(request, settings.timeout(), "the token endpoint", form);
  }

  /** Verifies the ID token; fetches the provider's keys first, or again for an unknown kid. */
  private Future<JWTClaimsSet> verify(Discovery d, String idToken, OAuthFlow flow) {
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(idToken);
    } catch (ParseException e) {
      return Future.failedFuture(new LoginFailure(LoginFailure.Kind.TOKEN_INVALID,
          "the ID token is not a signed JWT"));
    }
    JWSHeader header = jwt.getHeader();
    if (!ALGORITHMS.contains(header.getAlgorithm())) {
      return Future.failedFuture(new LoginFailure(LoginFailure.Kind.TOKEN_INVALID,
          "the ID token uses algorithm " + header.getAlgorithm()));
    }
    JWKSet known = keys;
    Future<JWKSet> usable;
    if (known == null) {
      usable = fetchKeys(d);
    } else if (key(known, header) == null && Duration.between(keysFetchedAt, clock.instant())
        .compareTo(KEY_REFRESH_SPACING) >= 0) {
      // An unknown key id: the provider may have rotated its keys.
      usable = fetchKeys(d);
    } else {
      usable = Future.succeededFuture(known);
    }
    return usable.map(set -> {
      JWK key = key(set, header);
      if (key == null) {
        throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID,
            "no provider key has id " + header.getKeyID());
      }
      checkSignature(jwt, header, key);
      return checkClaims(d, jwt, flow);
    });
  }

  private Future<JWKSet> fetchKeys(Discovery d) {
    return ProviderHttp.send(client.getAbs(d.jwks()), settings.timeout(), "the provider's keys",
        null).map(response -> {
          try {
            JWKSet set = JWKSet.parse(response.bodyAsString());
            keys = set;
            keysFetchedAt = clock.instant();
            return set;
          } catch (ParseException e) {
            throw new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE,
                "the provider's keys are not a JWK set");
          }
        });
  }

  private static JWK key(JWKSet set, JWSHeader header) {
    List<JWK> candidates = new ArrayList<>();
    for (JWK key : set.getKeys()) {
      if (!(key instanceof AsymmetricJWK)) {
        continue;
      }
      boolean kidMatches = header.getKeyID() == null || header.getKeyID().equals(key.getKeyID());
      boolean algMatches = key.getAlgorithm() == null
          || key.getAlgorithm().equals(header.getAlgorithm());
      if (kidMatches && algMatches) {
        candidates.add(key);
      }
    }
    // Without a kid, only an unambiguous key is used.
    return candidates.size() == 1 || header.getKeyID() != null && !candidates.isEmpty()
        ? candidates.get(0) : null;
  }

  private static void checkSignature(SignedJWT jwt, JWSHeader header, JWK jwk) {
    try {
      Key key = ((AsymmetricJWK) jwk).toPublicKey();
      JWSVerifier verifier = new DefaultJWSVerifierFactory().createJWSVerifier(header, key);
      if (!jwt.verify(verifier)) {
        throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token's signature "
            + "does not verify with key " + jwk.getKeyID());
      }
    } catch (JOSEException e) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token cannot be "
          + "verified with key " + jwk.getKeyID() + ": " + e.getMessage());
    }
  }

  private JWTClaimsSet checkClaims(Discovery d, SignedJWT jwt, OAuthFlow flow) {
    JWTClaimsSet claims;
    try {
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token's claims are "
          + "not JSON");
    }
    Instant now = clock.instant();
    if (!d.issuer().equals(claims.getIssuer())) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token's issuer is "
          + claims.getIssuer());
    }
    List<String> audience = claims.getAudience();
    if (!audience.contains(settings.clientId())) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token is for another "
          + "client");
    }
    if (audience.size() > 1 && !settings.clientId().equals(claims.getClaim("azp"))) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token has several "
          + "audiences and names another authorized party");
    }
    if (claims.getExpirationTime() == null
        || !claims.getExpirationTime().toInstant().plus(SKEW).isAfter(now)) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token has expired");
    }
    if (claims.getIssueTime() != null
        && claims.getIssueTime().toInstant().isAfter(now.plus(SKEW))) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token was issued in the "
          + "future");
    }
    if (claims.getSubject() == null) {
      throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "the ID token has no subject");
    }
    Object nonce = claims.getClaim("nonce");
    if (!(nonce instanceof String n) || !java.security.MessageDigest.isEqual(
        n.getBytes(StandardCharsets.UTF_8), flow.nonce().getBytes(StandardCharsets.UTF_8))) {
      throw new LoginFailure(LoginFailure.Kind.NONCE_MISMATCH, "the ID token's nonce is not "
          + "this flow's");
    }
    return claims;
  }

  /** Merges the userinfo claims under the ID token's: the signed token wins any conflict. */
  private Future<JWTClaimsSet> userinfo(Discovery d, JsonObject tokens, JWTClaimsSet idClaims) {
    if (d.userinfo() == null) {
      return Future.succeededFuture(idClaims);
    }
    String accessToken = ProviderHttp.string(tokens, "access_token", "the token answer");
    return ProviderHttp.object(client.getAbs(d.userinfo()).bearerTokenAuthentication(
        accessToken), settings.timeout(), "the userinfo endpoint").map(info -> {
          if (!idClaims.getSubject().equals(info.getString("sub"))) {
            throw new LoginFailure(LoginFailure.Kind.TOKEN_INVALID, "userinfo describes "
                + "another subject");
          }
          JWTClaimsSet.Builder merged = new JWTClaimsSet.Builder();
          info.getMap().forEach(merged::claim);
          idClaims.getClaims().forEach(merged::claim);
          return merged.build();
        });
  }

  private Identity identity(JWTClaimsSet claims) {
    Object email = claims.getClaim(settings.emailClaim());
    if (!(email instanceof String address) || !address.contains("@")) {
      throw new LoginFailure(LoginFailure.Kind.EMAIL_UNVERIFIED, "the provider gave no email "
          + "in claim " + settings.emailClaim());
    }
    Object verified = claims.getClaim("email_verified");
    if (settings.requireEmailVerified() && !Boolean.TRUE.equals(verified)
        && !"true".equals(verified)) {
      throw new LoginFailure(LoginFailure.Kind.EMAIL_UNVERIFIED, "the provider does not call "
          + "the email verified");
    }
    PolicyInterest wanted = interest.get();
    Set<String> groups = new HashSet<>();
    for (String group : values(claims.getClaim(settings.groupsClaim()))) {
      if (wanted.groups().contains(group)) {
        groups.add(group);
      }
    }
    Map<String, List<String>> kept = new HashMap<>();
    for (String name : wanted.claims()) {
      List<String> values = values(claims.getClaim(name));
      if (!values.isEmpty()) {
        kept.put(name, values);
      }
    }
    Object name = claims.getClaim(settings.nameClaim());
    IdentityFacts facts = new IdentityFacts(name instanceof String n ? n : null, null, Set.of(),
        Set.of(), groups, kept);
    return new Identity(id, address.strip().toLowerCase(Locale.ROOT), facts);
  }

  /** A claim as a list of strings: arrays by element, scalars as one value. */
  private static List<String> values(Object claim) {
    if (claim == null) {
      return List.of();
    }
    if (claim instanceof Collection<?> many) {
      return many.stream().filter(v -> v != null).map(String::valueOf).toList();
    }
    return List.of(String.valueOf(claim));
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
