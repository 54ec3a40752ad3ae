package dev.portcullis.web;

/** An application as the launcher lists it. */
public record AppLink(String name, String url) {}
