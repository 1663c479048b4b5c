package org.sparkattention.errors;

import java.util.List;

/**
 * Every user-facing error of the job, one factory method each (as Delta Kernel's {@code
 * DeltaErrors}): the message names the key, tensor, column, path or row, says what was expected and
 * how to fix it. Callers throw what these return; no message is written anywhere else.
 */
public final class UserErrors {
  private UserErrors() {}

  // ---- The command line and the configuration (exit 2) ----

  public static AttentionException unexpectedArgument(String arg) {
    return config(
        "unexpected argument '"
            + arg
            + "'. Arguments are --config FILE and --KEY VALUE pairs; see --help.");
  }

  public static AttentionException optionWithoutValue(String key) {
    return config(
        "command-line option '--" + key + "' has no value. Give it as --" + key + " VALUE.");
  }

  /** An option given twice on the command line, which would silently drop the first. */
  public static AttentionException optionTwice(String key, String first, String second) {
    return config(
        "command-line option '--"
            + key
            + "' is given twice ('"
            + first
            + "' and '"
            + second
            + "'). Give it once"
            + (key.equals("config") ? "; keys given as --KEY VALUE override the file's." : "."));
  }

  public static AttentionException unknownKey(String key, String source, String nearest) {
    return config(
        "unknown configuration key '"
            + key
            + "' (from "
            + source
            + "). Did you mean '"
            + nearest
            + "'? Run with --help for the list of keys.");
  }

  public static AttentionException configFileMissing(String file, String resolved) {
    return config(
        "configuration file "
            + pathAndResolved(file, resolved)
            + " (--config) does not exist. Check the path.");
  }

  /**
   * {@code 'given'}, and where it was looked for when that differs: a relative path is resolved
   * against the directory the job was started from.
   */
  private static String pathAndResolved(String given, String resolved) {
    return resolved == null || resolved.equals(given)
        ? "'" + given + "'"
        : "'" + given + "' (looked for at " + resolved + ")";
  }

  public static AttentionException configFileNotUtf8(String file) {
    return config(
        "configuration file '"
            + file
            + "' (--config) is not UTF-8 text. Save it as UTF-8 (ASCII is UTF-8 too).");
  }

  public static AttentionException configFileUnreadable(String file, String why) {
    return config("cannot read configuration file '" + file + "': " + why);
  }

  /** A value its key does not accept; {@code rule} is what the key accepts. */
  public static AttentionException invalidValue(String key, String value, String rule) {
    return config(
        "configuration key '" + key + "' has value '" + value + "', but it must be " + rule + ".");
  }

  /** {@link #invalidValue}'s error, naming where the value came from. */
  public static AttentionException invalidValueFrom(AttentionException invalid, String source) {
    String m = invalid.getMessage();
    return config(m.substring(0, m.length() - 1) + " (from " + source + ").");
  }

  public static AttentionException requiredKey(String key, String what, String sparkPrefix) {
    return config(
        "configuration key '"
            + key
            + "' is required ("
            + what
            + "). Set it in the --config file, as --"
            + key
            + " VALUE, or as "
            + sparkPrefix
            + key
            + ".");
  }

  public static AttentionException mapsOutputMissing(String maps) {
    return config(
        "'maps' is '"
            + maps
            + "' but 'maps.output' is not set. Set maps.output to the attention-map dataset"
            + " path, or maps=none.");
  }

  /** A dataset path set while its setting says nothing is written there. */
  public static AttentionException checkWithoutProvenance(String summary) {
    return config(
        "'"
            + summary
            + "' does not exist or holds no provenance: give the output of a finished run of"
            + " this version (its summary names the input, weights and settings).");
  }

  public static AttentionException heatmapUsage(String problem) {
    return config(problem + ". jobs/heatmap.sh --help lists the options.");
  }

  public static AttentionException heatmapNothingToDraw(String dir, String why) {
    return input("nothing to draw from '" + dir + "': " + why + ".");
  }

  public static AttentionException settingWithoutItsMode(String key, String maps, String modes) {
    return config(
        "'"
            + key
            + "' is set but 'maps' is '"
            + maps
            + "', which does not use it. Set "
            + modes
            + ", or remove "
            + key
            + ".");
  }

  public static AttentionException headOutOfRange(String heads, int numHeads) {
    return config(
        "maps.heads = "
            + heads
            + " names a head the layer does not have: heads are numbered 0 to "
            + (numHeads - 1)
            + " (heads = "
            + numHeads
            + "). Fix maps.heads.");
  }

  public static AttentionException outputWithoutItsSetting(
      String outputKey, String settingKey, String setting, String fix) {
    return config(
        "'"
            + outputKey
            + "' is set but '"
            + settingKey
            + "' is '"
            + setting
            + "', so nothing would be written there. Set "
            + fix
            + ", or remove "
            + outputKey
            + ".");
  }

  public static AttentionException limitWithoutQuarantine() {
    return config(
        "'bad.rows.max' is set but 'bad.rows' is 'fail', which stops at the first bad row. Set"
            + " bad.rows=quarantine (with bad.rows.output), or remove bad.rows.max.");
  }

  public static AttentionException badRowsOutputMissing() {
    return config(
        "'bad.rows' is 'quarantine' but 'bad.rows.output' is not set. Set bad.rows.output to"
            + " the dataset for rejected rows, or bad.rows=fail.");
  }

  public static AttentionException partitionByMissing() {
    return config(
        "'mode' is 'overwrite-partitions' but 'partition.by' is empty. Set partition.by to the"
            + " columns to partition by, or use mode=overwrite.");
  }

  public static AttentionException partitionColumnTwice(String column) {
    return config(
        "'partition.by' names column '"
            + column
            + "' twice (column names compare without case). Name each column once.");
  }

  public static AttentionException headsDoNotDivide(int heads, int embedDim, String weights) {
    return config(
        "heads = "
            + heads
            + " does not divide the layer's embed_dim E = "
            + embedDim
            + " (read off "
            + weights
            + "). Set heads to the layer's num_heads.");
  }

  /** The Spark, Scala or Java this run is on is not supported: what was found, how to fix it. */
  public static AttentionException unsupportedRuntime(String problem) {
    return config(problem);
  }

  // ---- Paths (exit 2 for inputs, 5 for outputs) ----

  public static AttentionException inputMissing(String input, String resolved) {
    return config(
        "input " + pathAndResolved(input, resolved) + " does not exist. Check the 'input' path.");
  }

  public static AttentionException inputUnreadable(String input, String why) {
    return config("cannot read input '" + input + "': " + why);
  }

  public static AttentionException invalidPath(String key, String path, String why) {
    return config(key + " '" + path + "' is not a valid path: " + why + ".");
  }

  /**
   * No Hadoop file system for a path's scheme; {@code connector} is the artifact that provides it,
   * or null when the scheme is not a known one.
   */
  public static AttentionException noFileSystem(
      String key, String path, String scheme, String why, String connector, boolean output) {
    String fix =
        connector != null
            ? "Add "
                + connector
                + " to the job (spark-submit --packages or --jars), or use another path."
            : "Check the URI's scheme, or add the Hadoop file-system connector for it to the job.";
    return new AttentionException(
        output ? AttentionException.Kind.OUTPUT : AttentionException.Kind.CONFIG,
        key
            + " '"
            + path
            + "': no Hadoop file system for scheme '"
            + scheme
            + "' is available ("
            + why
            + "). "
            + fix);
  }

  /** Two datasets of one run overlap ({@code relation}: "the same directory as", "inside" ...). */
  public static AttentionException overlappingDatasets(
      String keyA,
      String givenA,
      String relation,
      String keyB,
      String givenB,
      String resolvedA,
      String resolvedB) {
    return config(
        keyA
            + " '"
            + givenA
            + "' is "
            + relation
            + " "
            + keyB
            + " '"
            + givenB
            + "' (as the file system resolves them: "
            + resolvedA
            + " and "
            + resolvedB
            + "): a run would overwrite or read its own data. Give each dataset its own"
            + " directory, none inside another.");
  }

  // ---- The weights (exit 3) ----

  public static AttentionException weightsFileMissing(String location, String resolved) {
    return weights(
        "weights file "
            + pathAndResolved(location, resolved)
            + " does not exist. Check the 'weights' path.");
  }

  public static AttentionException weightsFileUnreadable(
      String location, String why, Throwable cause) {
    return new AttentionException(
        AttentionException.Kind.WEIGHTS,
        "cannot read weights file " + location + ": " + why,
        cause);
  }

  public static AttentionException notSafetensors(String source, String what) {
    return weights(
        "weights file "
            + source
            + " is not a valid safetensors file: "
            + what
            + ". Re-export the layer's state_dict with safetensors.");
  }

  public static AttentionException tensorMissing(String tensor, String source) {
    return weights("tensor '" + tensor + "' is not in weights file " + source + ".");
  }

  /** A tensor of the layer is missing; {@code hint} names what the file holds instead. */
  public static AttentionException layerTensorMissing(String tensor, String source, String hint) {
    return weights(
        "tensor '"
            + tensor
            + "' is not in weights file "
            + source
            + "."
            + hint
            + " Save the layer's state_dict, or set 'weights.prefix' to the layer's name.");
  }

  public static AttentionException inProjectionMissing(String prefix, String source, String hint) {
    return weights(
        "tensor '"
            + prefix
            + "in_proj_weight' (or '"
            + prefix
            + "q_proj_weight') is not in weights file "
            + source
            + "."
            + hint
            + " Set 'weights.prefix' to the layer's name in the checkpoint.");
  }

  /** One of a pair of tensors is there and its companion is not. */
  public static AttentionException companionTensorMissing(String tensor, String source) {
    return weights(
        "tensor '"
            + tensor
            + "' is not in weights file "
            + source
            + ", but its companion is: a layer with "
            + (tensor.contains("bias_") ? "add_bias_kv" : "bias")
            + " has both. Save the layer's complete state_dict.");
  }

  public static AttentionException biasesIncomplete() {
    return weights(
        "the in-projection and out_proj biases must be all present (bias=True) or all absent"
            + " (bias=False).");
  }

  public static AttentionException biasKvIncomplete() {
    return weights("bias_k and bias_v must be both present (add_bias_kv=True) or both absent.");
  }

  public static AttentionException tensorDtype(String tensor, String source, String dtype) {
    return weights(
        "tensor '"
            + tensor
            + "' in "
            + source
            + " has dtype "
            + dtype
            + "; attention weights must be F16, BF16, F32 or F64. Save the layer with a"
            + " floating-point dtype.");
  }

  public static AttentionException tensorShape(
      String tensor, String source, String shape, String expected) {
    return weights(
        "tensor '"
            + tensor
            + "' in "
            + source
            + " has shape "
            + shape
            + " but expected "
            + expected
            + " (E is out_proj.weight's row count)"
            + ". Check that all tensors come from the same layer.");
  }

  public static AttentionException tensorNotFinite(
      String tensor, String source, double value, String index) {
    return weights(
        "tensor '"
            + tensor
            + "' in "
            + source
            + " holds "
            + value
            + " at index ["
            + index
            + "]: weights must be finite. Check the checkpoint that the layer was saved from.");
  }

  public static AttentionException matrixShape(
      String name, int rows, int cols, int expectedRows, int expectedCols) {
    return weights(
        name
            + " is "
            + rows
            + " x "
            + cols
            + " but must be "
            + expectedRows
            + " x "
            + expectedCols
            + " (non-empty).");
  }

  public static AttentionException vectorLength(String name, int length, int expected) {
    return weights(name + " has length " + length + " but must have E = " + expected + ".");
  }

  // ---- The input (exit 4) ----

  public static AttentionException noSequenceColumns(
      String x, String query, String key, String value, List<String> columns) {
    return input(
        "the input has neither a '"
            + x
            + "' column (self-attention) nor '"
            + query
            + "', '"
            + key
            + "', '"
            + value
            + "' columns (cross-attention); its columns are "
            + columns
            + ". Set columns.x or columns.query/key/value to the sequence columns.");
  }

  public static AttentionException selfAttentionNeedsEqualDims(
      String x, int kdim, int vdim, int embedDim) {
    return input(
        "the input has a '"
            + x
            + "' column (self-attention), but the weights have kdim = "
            + kdim
            + " and vdim = "
            + vdim
            + " different from E = "
            + embedDim
            + ": such a layer needs cross-attention columns query, key and value.");
  }

  public static AttentionException idNotScalar(String column, String type) {
    return input(
        "id column '"
            + column
            + "' has type "
            + type
            + ", but an id must be a scalar (number, string, date ...). Set columns.id.");
  }

  public static AttentionException maskType(String column, String type) {
    return input(
        "key padding mask column '"
            + column
            + "' has type "
            + type
            + ", expected array<boolean> (true = key ignored).");
  }

  public static AttentionException sequenceType(String column, String type) {
    return input(
        "column '"
            + column
            + "' has type "
            + type
            + ", expected array<array<float>> or array<array<double>> (one row of values per"
            + " token).");
  }

  public static AttentionException columnMissing(String column, String why, List<String> columns) {
    return input(
        "the input has no column '" + column + "' (" + why + "); its columns are " + columns + ".");
  }

  /** A {@code columns.*} key names a column the input does not have. */
  public static AttentionException configuredColumnMissing(
      String key, String column, String source, List<String> columns) {
    return input(
        key
            + " is '"
            + column
            + "' (from "
            + source
            + "), but the input has no such column; its columns are "
            + columns
            + ". Set "
            + key
            + " to one of them, or leave it unset.");
  }

  public static AttentionException carriedColumnCollides(String column, List<String> reserved) {
    return input(
        "input column '"
            + column
            + "' would be carried into the outputs, which add a column of that name (column"
            + " names compare without case, as in Spark): "
            + reserved
            + ". Rename or drop it before the job.");
  }

  public static AttentionException reasonColumnCollides() {
    return input(
        "input column 'reason' would be carried into bad.rows.output, which adds a 'reason'"
            + " column (column names compare without case). Rename it, or use"
            + " bad.rows=fail.");
  }

  public static AttentionException partitionColumnNotCarried(String column, List<String> carried) {
    return input(
        "partition.by column '"
            + column
            + "' is not a carried input column; carried columns are "
            + carried
            + ".");
  }

  public static AttentionException partitionColumnNotScalar(String column) {
    return input(
        "partition.by column '" + column + "' is not a scalar column and cannot partition files.");
  }

  public static AttentionException inputNotReadable(String input, String format, String why) {
    return input(
        "cannot read input '"
            + input
            + "' as "
            + format
            + ": "
            + why
            + ". Check input.format, and that the files are not corrupt.");
  }

  public static AttentionException inputFileCorrupt(String file, String why) {
    return input(
        "cannot read input file "
            + (file.isEmpty() ? "(unknown)" : "'" + file + "'")
            + ": "
            + why
            + ". The file is corrupt or not in the input format; fix or remove it.");
  }

  /** The first bad row of the checking scan, with the count of all bad rows. */
  public static AttentionException badRows(Object id, String reason, long badRows) {
    return badRow(id, reason, badRows + " bad row(s) in all");
  }

  /**
   * A bad row met while computing (the input read once): the run stopped there, so the count is of
   * the rows read so far.
   */
  public static AttentionException badRowsBeforeStop(Object id, String reason, long badRows) {
    return badRow(
        id,
        reason,
        badRows
            + " bad row(s) found before the run stopped (the rest of the input was not checked)");
  }

  private static AttentionException badRow(Object id, String reason, String count) {
    return input(
        "input row with id "
            + id
            + " is bad: "
            + reason
            + ". "
            + count
            + "; nothing was written. Fix the input, or set bad.rows=quarantine and"
            + " bad.rows.output to set bad rows aside.");
  }

  /** A quarantine run found more bad rows than bad.rows.max allows. */
  public static AttentionException tooManyBadRows(
      long badRows, long rows, String limit, List<String[]> first) {
    StringBuilder examples = new StringBuilder();
    for (String[] row : first) {
      examples
          .append(examples.length() == 0 ? "" : "; ")
          .append(row[0])
          .append(": ")
          .append(row[1]);
    }
    return input(
        badRows
            + " of the "
            + rows
            + " input rows are bad, more than bad.rows.max allows ("
            + limit
            + "); nothing was written. "
            + (examples.length() == 0 ? "Their computation overflowed" : "First: " + examples)
            + ". Fix the input, or raise bad.rows.max.");
  }

  /** A row whose result cannot be written (found while computing). */
  public static AttentionException badResult(Object id, String reason) {
    return input(
        "input row with id "
            + id
            + " is bad: "
            + reason
            + ". Nothing was written. Fix the input, or set bad.rows=quarantine and"
            + " bad.rows.output to set such rows aside.");
  }

  // ---- The outputs (exit 5) ----

  public static AttentionException outputIsRoot(String what, String target) {
    return output(
        what + " '" + target + "' is a file-system root; give a dataset directory below it.");
  }

  public static AttentionException outputExists(String what, String target) {
    return output(
        what
            + " '"
            + target
            + "' already exists and mode is errorifexists. Choose another path, or set"
            + " mode to overwrite, append or overwrite-partitions.");
  }

  public static AttentionException outputIsFile(String what, String target) {
    return output(
        what
            + " '"
            + target
            + "' exists and is a file, not a dataset directory. Remove it or choose another path.");
  }

  public static AttentionException outputParentIsFile(String what, String target, String file) {
    return output(
        what
            + " '"
            + target
            + "' cannot be created: '"
            + file
            + "' is a file, not a directory. Choose another path.");
  }

  public static AttentionException outputDirectoryNotWritable(
      String what, String target, String dir) {
    return output(
        what
            + " '"
            + target
            + "' cannot be written: this user may not write to '"
            + dir
            + "'. Make it writable, or choose another path.");
  }

  public static AttentionException outputNotWritable(
      String what, String target, String ownerFile, String why) {
    return output(
        what
            + " '"
            + target
            + "' cannot be written: creating '"
            + ownerFile
            + "' failed ("
            + why
            + "). Make its directory writable, or choose another path.");
  }

  public static AttentionException outputUncheckable(String what, String target, String why) {
    return output("cannot check " + what + " '" + target + "': " + why + ".");
  }

  /** An existing dataset that append or overwrite-partitions would add to cannot be read. */
  public static AttentionException existingDatasetUnreadable(
      String what, String target, String why, String mode) {
    return output(
        what
            + " '"
            + target
            + "' cannot be read as one Parquet dataset ("
            + why
            + "), so mode "
            + mode
            + " would add to a dataset that readers see differently. Repair it, write to a new"
            + " path, or use mode=overwrite.");
  }

  public static AttentionException existingLayoutDiffers(
      String what, String target, String found, String expected, String mode) {
    return output(
        what
            + " '"
            + target
            + "' holds a dataset "
            + found
            + ", but this run writes "
            + expected
            + ": mode "
            + mode
            + " would mix two layouts in one dataset. Match partition.by and the input's"
            + " columns, write to a new path, or use mode=overwrite.");
  }

  /**
   * The commit of {@code datasets} failed; {@code undoFailure} is null when every dataset was put
   * back, else why restoring them failed too.
   */
  public static AttentionException commitFailed(String datasets, String cause, String undoFailure) {
    String failure = "committing " + datasets + " failed: " + cause;
    return output(
        undoFailure == null
            ? failure
                + ". Every dataset was left as it was and this run's staging was removed; fix the"
                + " cause (permissions, space) and run again."
            : failure
                + ", and restoring the datasets failed too: "
                + undoFailure
                + ". Nothing was deleted; the next run on these paths finishes the restore from"
                + " the journal beside them (.NAME.run-*.json) once the cause is fixed.");
  }

  private static AttentionException config(String message) {
    return new AttentionException(AttentionException.Kind.CONFIG, message);
  }

  private static AttentionException weights(String message) {
    return new AttentionException(AttentionException.Kind.WEIGHTS, message);
  }

  private static AttentionException input(String message) {
    return new AttentionException(AttentionException.Kind.INPUT, message);
  }

  private static AttentionException output(String message) {
    return new AttentionException(AttentionException.Kind.OUTPUT, message);
  }
}
