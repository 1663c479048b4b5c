/**
 * Pictures of written maps for people: heatmaps of one sequence's attention maps and charts of its
 * per-query statistics, drawn with Java2D and written by ImageIO ({@code jobs/heatmap.sh}).
 */
package org.sparkattention.viz;
