package dev.portcullis.web;

/**
 * One way to sign in, as the login page lists it.
 *
 * @param email true for the email form, false for a link to a redirecting provider
 * @param name what the page shows
 * @param url for a redirecting provider, where its button goes
 */
public record LoginOption(boolean email, String name, String url) {}
