/**
 * How a run's datasets reach their paths without ever damaging what is there: paths qualified and
 * checked for overlap before anything runs ({@link org.sparkattention.commit.DatasetPaths}), data
 * written to staging directories owned by the run ({@link org.sparkattention.commit.StagedDataset},
 * {@link org.sparkattention.commit.RunOwner}), one journaled, all-or-nothing commit of every
 * dataset ({@link org.sparkattention.commit.RunCommit}), and the leftovers of runs that died
 * removed or rolled back by the next run ({@link org.sparkattention.commit.StaleRuns}).
 */
package org.sparkattention.commit;
