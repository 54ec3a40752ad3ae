package dev.portcullis.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when the configuration file or a file it reads (email lists) changes.
 *
 * <p>Directories are watched rather than files, because editors and deployment tools often
 * replace a file (write a new one, rename it over the old) and a watch on the old file would
 * see nothing. Events for other files in those directories are ignored. One daemon thread
 * waits for events; the callback must be quick (hand the work to an event loop). Several
 * events for one save arrive close together: the caller debounces.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

  private final WatchService service;
  private final Runnable onChange;
  private final Set<Path> files = new HashSet<>();
  private final Set<Path> directories = new HashSet<>();
  private final Thread thread;

  public ConfigWatcher(Runnable onChange) throws IOException {
    this.service = FileSystems.getDefault().newWatchService();
    this.onChange = onChange;
    this.thread = Thread.ofPlatform().daemon().name("portcullis-config-watcher")
        .unstarted(this::loop);
    thread.start();
  }

  /** Watches these files from now on, in addition to those already watched. */
  public synchronized void watch(Collection<Path> paths) {
    for (Path path : paths) {
      Path file = path.toAbsolutePath().normalize();
      files.add(file);
      Path dir = file.getParent();
      if (dir != null && directories.add(dir)) {
        try {
          dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
          directories.remove(dir);
          LOG.atWarn().setMessage("cannot watch a configuration directory; use SIGHUP to reload")
              .addKeyValue("directory", dir).addKeyValue("error", e.getMessage()).log();
        }
      }
    }
  }

  private void loop() {
    while (true) {
      WatchKey key;
      try {
        key = service.take();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      Path dir = (Path) key.watchable();
      boolean relevant = false;
      for (WatchEvent<?> event : key.pollEvents()) {
        if (event.context() instanceof Path name && isWatched(dir.resolve(name))) {
          relevant = true;
        }
        if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
          relevant = true;
        }
      }
      key.reset();
      if (relevant) {
        try {
          onChange.run();
        } catch (RuntimeException e) {
          LOG.atWarn().setMessage("configuration change handler failed").setCause(e).log();
        }
      }
    }
  }

  private synchronized boolean isWatched(Path file) {
    return files.contains(file.toAbsolutePath().normalize());
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      LOG.atDebug().setMessage("closing the watch service failed").setCause(e).log();
    }
    thread.interrupt();
  }
}
