package dev.portcullis.identity;

import io.vertx.core.Future;

/**
 * An identity provider that signs people in by sending the browser to it: GitHub or any OpenID
 * Connect provider. Futures fail only with {@link LoginFailure}.
 */
public sealed interface RedirectProvider permits GithubProvider, OidcProvider {

  String id();

  /** Where to send the browser to start the flow. */
  Future<String> authorizationUrl(OAuthFlow flow, String callbackUrl);

  /** Trades the callback's code for a verified identity. */
  Future<Identity> complete(String code, OAuthFlow flow, String callbackUrl);
}
