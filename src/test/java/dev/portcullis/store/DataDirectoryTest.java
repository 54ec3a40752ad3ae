package dev.portcullis.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTest {
  @TempDir
  Path dir;

  @Test
  void theDirectoryAndTheMasterKeyAreTheOwnersOnlyAndTheKeyIsStable() throws Exception {
    Path data = dir.resolve("deep/data");

    DataDirectory directory = DataDirectory.prepare(data);
    byte[] first = directory.masterKey();
    byte[] again = DataDirectory.prepare(data).masterKey();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
        data.resolve("master.key")))).isEqualTo("rw-------");
    assertThat(first).hasSize(32).isEqualTo(again);
  }

  @Test
  void aDamagedMasterKeyStopsTheStartInsteadOfBeingReplaced() throws Exception {
    Path data = dir.resolve("data");
    DataDirectory.prepare(data).masterKey();
    Files.writeString(data.resolve("master.key"), "c2hvcnQ=\n");

    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> DataDirectory.prepare(data).masterKey())
        .isInstanceOf(java.io.IOException.class).hasMessageContaining("32-byte key");
    assertThat(Files.readString(data.resolve("master.key"))).isEqualTo("c2hvcnQ=\n");
  }
}
