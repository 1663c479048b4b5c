package org.sparkattention.errors;

/**
 * The one family of user-facing errors, made by {@link UserErrors}: a problem with the
 * configuration, the weights or the input data that the user can fix. Every message says what is
 * wrong, why, and how to fix it. The job's {@code main} prints it as one {@code error:} line and
 * exits with {@link Kind#exitCode()}, without a stack trace.
 */
public class AttentionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What the user has to fix; each kind has its own process exit code. */
  public enum Kind {
    /** A configuration key, value or path. */
    CONFIG(2),
    /** The weights file or its tensors. */
    WEIGHTS(3),
    /** The input dataset: its schema or a row. */
    INPUT(4),
    /** The output location (exists, cannot be written). */
    OUTPUT(5);

    private final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  private final Kind kind;

  AttentionException(Kind kind, String message) {
    this(kind, message, null);
  }

  AttentionException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
