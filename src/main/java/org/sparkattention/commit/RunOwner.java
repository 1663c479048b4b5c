package org.sparkattention.commit;

import java.net.InetAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.UUID;

/**
 * Which run owns a staging directory: a run id unique across hosts (its names' suffix), and the
 * host and process that can tell whether the run is still alive.
 *
 * @param runId {@code yyyyMMddHHmmss-} and 12 random hex digits, safe in a file name
 * @param host the driver's host name
 * @param pid the driver's process id
 * @param pidStartMillis when that process started (pids are reused), 0 if unknown
 */
public record RunOwner(String runId, String host, long pid, long pidStartMillis) {
  /**
   * Another host's run is taken as dead when its owner files have not been touched for this long; a
   * live run touches them every {@link #HEARTBEAT_MILLIS}.
   */
  static final long STALE_AFTER_MILLIS = 10 * 60_000L;

  static final long HEARTBEAT_MILLIS = 60_000L;

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  /** This process, as the owner of a new run. */
  public static RunOwner current() {
    ProcessHandle self = ProcessHandle.current();
    String id =
        STAMP.format(Instant.now())
            + "-"
            + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    return new RunOwner(id, hostName(), self.pid(), startMillis(self));
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) { // an unresolvable host name: the name the kernel gives
      String h = System.getenv("HOSTNAME");
      return h == null ? "unknown-host" : h;
    }
  }

  private static long startMillis(ProcessHandle p) {
    return p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /**
   * Whether the run may still be running: on this host, its process exists and started when
   * recorded; on another host, its owner file was touched within {@link #STALE_AFTER_MILLIS}.
   */
  boolean mayBeAlive(long ownerFileModifiedMillis) {
    if (host.equals(hostName())) {
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      return p.isPresent()
          && p.get().isAlive()
          && (pidStartMillis == 0
              || startMillis(p.get()) == 0
              || Math.abs(startMillis(p.get()) - pidStartMillis) < 1000);
    }
    return System.currentTimeMillis() - ownerFileModifiedMillis < STALE_AFTER_MILLIS;
  }

  /** For messages: "run ID (pid P on HOST)". */
  String describe() {
    return "run " + runId + " (pid " + pid + " on " + host + ")";
  }
}
