// The report's charts, drawn by JFreeChart onto JFreeSVG's Graphics2D and returned as inline <svg>
// elements: no display, no browser script, no external file. Each chart gets its own id prefix so
// that the clip paths of several charts on one page cannot collide.
package dev.sinter.telemetry.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/** Renders series and shares to SVG; every chart is 760 units wide and scales with the page. */
final class Charts {
  private Charts() {}

  static {
    // Charts only draw into SVG, never a window. Without this, a shell whose DISPLAY names an X
    // server that is gone (an SSH session, say) makes AWT fail while measuring text.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  static final int WIDTH = 760;
  /** A series with at most this many points is drawn with a marker at each, so one step shows. */
  private static final int MARK_POINTS_UP_TO = 60;

  private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
  private static final Color[] LINES = {new Color(0x1F77B4), new Color(0xD62728), new Color(0x2CA02C)};
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  /** Colours of the time-split phases, fixed so that one phase looks the same in every report. */
  static final Map<String, Color> PHASE_COLOURS = Map.of(
      "forward", new Color(0x1F77B4), "backward", new Color(0xFF7F0E), "optimizer", new Color(0x2CA02C),
      "data", new Color(0x9467BD), "checkpoint", new Color(0x8C564B), "communication", new Color(0xE377C2),
      "validation", new Color(0x17BECF), "idle", new Color(0x7F7F7F));
  private static final Color OTHER_PHASE = new Color(0xBCBD22);

  /**
   * Lines against step on one axis; a series may be drawn as markers only (e.g. validation loss,
   * which exists at a few steps). Series are downsampled to {@link Series#MAX_POINTS}.
   */
  static String lines(String id, String yLabel, List<Series> series, List<Boolean> markersOnly) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i).downsample(Series.MAX_POINTS);
      data.addSeries(xy(s));
      style(renderer, i, LINES[i % LINES.length], markersOnly.get(i) || s.size() <= MARK_POINTS_UP_TO,
          !markersOnly.get(i));
    }
    NumberAxis y = valueAxis(yLabel);
    widenIfFlat(y, series);
    XYPlot plot = new XYPlot(data, stepAxis(), y, renderer);
    return svg(id, chart(plot, series.size() > 1), 300);
  }

  /**
   * Two figures against one step axis, in two panels one above the other: tokens/s and MFU move
   * together, so on twin axes of one panel the two lines would hide each other.
   */
  static String twoPanels(String id, Series top, String topLabel, Series bottom, String bottomLabel) {
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(stepAxis());
    plot.setGap(12);
    Series[] both = {top, bottom};
    String[] labels = {topLabel, bottomLabel};
    for (int i = 0; i < 2; i++) {
      Series s = both[i].downsample(Series.MAX_POINTS);
      XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
      style(renderer, 0, LINES[i], s.size() <= MARK_POINTS_UP_TO, true);
      NumberAxis y = valueAxis(labels[i]);
      widenIfFlat(y, List.of(s));
      XYPlot panel = new XYPlot(new XYSeriesCollection(xy(s)), null, y, renderer);
      grid(panel);
      plot.add(panel, 1);
    }
    return svg(id, chart(plot, false), 380);
  }

  /**
   * One horizontal bar split into phases, each labelled in the legend with its seconds and share.
   *
   * @param phases phase name to seconds, in drawing order; all values positive
   */
  static String stackedBar(String id, Map<String, Double> phases) {
    double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    StackedBarRenderer renderer = new StackedBarRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setDrawBarOutline(true);
    renderer.setDefaultOutlinePaint(Color.WHITE);
    int i = 0;
    for (Map.Entry<String, Double> e : phases.entrySet()) {
      String key = e.getKey() + " " + Text.percent(e.getValue() / total)
          + String.format(Locale.ROOT, " (%.1f s)", e.getValue());
      data.addValue(e.getValue(), key, "time");
      renderer.setSeriesPaint(i++, PHASE_COLOURS.getOrDefault(e.getKey(), OTHER_PHASE));
    }
    NumberAxis seconds = valueAxis("seconds");
    seconds.setAutoRangeIncludesZero(true);
    CategoryAxis category = new CategoryAxis();
    category.setVisible(false);
    CategoryPlot plot = new CategoryPlot(data, category, seconds, renderer);
    plot.setOrientation(PlotOrientation.HORIZONTAL);
    plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(GRID);
    plot.setOutlineVisible(false);
    int legendRows = (phases.size() + 2) / 3;
    return svg(id, chart(plot, true), 100 + 18 * legendRows);
  }

  private static XYSeries xy(Series s) {
    XYSeries xy = new XYSeries(s.name(), false, true);
    for (int i = 0; i < s.size(); i++) {
      xy.add(s.x()[i], s.y()[i], false); // no change events: nothing listens yet
    }
    return xy;
  }

  private static void style(XYLineAndShapeRenderer r, int series, Color colour, boolean markers, boolean line) {
    r.setSeriesPaint(series, colour);
    r.setSeriesStroke(series, new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    r.setSeriesLinesVisible(series, line);
    r.setSeriesShapesVisible(series, markers);
    r.setSeriesShape(series, new Ellipse2D.Double(-3, -3, 6, 6));
    // One <path> per series instead of one per segment: a tenth of the SVG's size.
    r.setDrawSeriesLineAsPath(true);
  }

  private static NumberAxis stepAxis() {
    NumberAxis axis = new NumberAxis("step");
    axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    axis.setAutoRangeIncludesZero(false);
    axis.setLabelFont(FONT);
    return axis;
  }

  private static NumberAxis valueAxis(String label) {
    NumberAxis axis = new NumberAxis(label);
    axis.setAutoRangeIncludesZero(false);
    axis.setLabelFont(FONT);
    return axis;
  }

  private static void grid(XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(GRID);
    plot.setRangeGridlinePaint(GRID);
    plot.setOutlineVisible(false);
  }

  /**
   * Gives a flat series (one step, or a constant) a range of ±5 % around its value: auto-ranging a
   * zero-height range would put ten identical tick labels such as "1.1E1" on the axis.
   */
  private static void widenIfFlat(NumberAxis axis, List<Series> series) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (double v : s.y()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (lo <= hi && hi - lo <= 1e-9 * Math.max(1, Math.abs(hi))) {
      double half = hi == 0 ? 1 : Math.abs(hi) * 0.05;
      axis.setRange(hi - half, hi + half);
    }
  }

  private static JFreeChart chart(Plot plot, boolean legend) {
    if (plot instanceof XYPlot xy) {
      grid(xy);
    }
    JFreeChart chart = new JFreeChart(null, FONT, plot, legend);
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    LegendTitle l = chart.getLegend();
    if (l != null) {
      l.setPosition(RectangleEdge.BOTTOM);
      l.setItemFont(FONT);
      l.setFrame(BlockBorder.NONE);
    }
    return chart;
  }

  private static String svg(String id, JFreeChart chart, int height) {
    SVGGraphics2D g = new SVGGraphics2D(WIDTH, height);
    g.setDefsKeyPrefix(id + "-");
    // Tenths of a unit are finer than any screen shows and keep a 2000-point path short.
    g.setGeomDoubleConverter(d -> Double.toString(Math.round(d * 10) / 10.0));
    chart.draw(g, new Rectangle(0, 0, WIDTH, height));
    return g.getSVGElement(id, false, new ViewBox(0, 0, WIDTH, height), null, null);
  }
}
