package dev.portcullis.identity;

import dev.portcullis.session.IdentityFacts;

/**
 * What a login proved.
 *
 * @param idp the configured id of the provider
 * @param email the verified email, lower case
 * @param facts what else the provider said (GitHub organizations and teams, groups, claims)
 */
public record Identity(String idp, String email, IdentityFacts facts) {}
