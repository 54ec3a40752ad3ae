package dev.portcullis.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The data directory: created readable by its owner only, and home of the master key that seals
 * signing keys in the store. Losing the master key makes the stored signing keys unreadable;
 * Portcullis then refuses to start rather than silently minting a new key.
 */
public final class DataDirectory {
  private static final Set<PosixFilePermission> OWNER_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE =
      PosixFilePermissions.fromString("rw-------");
  /** 256 bits, the AES key size used for sealing. */
  private static final int MASTER_KEY_BYTES = 32;

  private final Path root;

  private DataDirectory(Path root) {
    this.root = root;
  }

  /** Creates the directory (owner-only) when missing and returns it. */
  public static DataDirectory prepare(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      Files.createDirectories(root.toAbsolutePath().getParent());
      try {
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(OWNER_DIR));
      } catch (FileAlreadyExistsException raced) {
        // Another process made it meanwhile; the permissions are set below all the same.
      }
    }
    // An existing directory (made by hand, or by the demo) is narrowed to its owner too: the
    // store in it holds emails and session data, and SQLite creates its files world-readable.
    try {
      if (!Files.getPosixFilePermissions(root).equals(OWNER_DIR)) {
        Files.setPosixFilePermissions(root, OWNER_DIR);
      }
    } catch (UnsupportedOperationException notPosix) {
      // A file system without POSIX permissions: nothing to narrow.
    }
    return new DataDirectory(root);
  }

  public Path root() {
    return root;
  }

  /** Reads the master key, creating it (owner-only) on first start. */
  public byte[] masterKey() throws IOException {
    Path file = root.resolve("master.key");
    if (!Files.exists(file)) {
      byte[] key = new byte[MASTER_KEY_BYTES];
      new SecureRandom().nextBytes(key);
      Path temp = Files.createTempFile(root, "master", ".tmp",
          PosixFilePermissions.asFileAttribute(OWNER_FILE));
      Files.writeString(temp, Base64.getEncoder().encodeToString(key) + "\n");
      try {
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        Files.deleteIfExists(temp);
        throw e;
      }
    }
    byte[] key = Base64.getDecoder().decode(Files.readString(file).trim());
    if (key.length != MASTER_KEY_BYTES) {
      throw new IOException(file + " does not hold a " + MASTER_KEY_BYTES + "-byte key");
    }
    return key;
  }
}
