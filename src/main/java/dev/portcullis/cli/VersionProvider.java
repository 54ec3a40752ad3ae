package dev.portcullis.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the version from the jar's manifest; "development" when run from classes. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = Main.class.getPackage().getImplementationVersion();
    return new String[] {"portcullis " + (version == null ? "development" : version)};
  }
}
