/* MathJax 3 (es5 components) inside an embedded V8, for pelican_sujianlin.typeset.
 *
 * Python defines COMPONENTS ({name: source}) before this file runs. There is
 * no `window`: MathJax's startup then builds a liteDOM document instead of
 * wanting a browser's. The loader's `require` evaluates a component from
 * COMPONENTS instead of reading a file. Configured as the browser side is
 * (sujianlin/mathjax.html): the equations plugin wrote every \tag{N}, so
 * MathJax numbers nothing itself (tags: 'none').
 *
 * Output: CommonHTML. A glyph is a short element with a class
 * (<mjx-c class="mjx-c1D465 TEX-I">); the stylesheet that draws every glyph
 * of the TeX fonts (adaptiveCSS: false, so it does not depend on the
 * formulas) is written once per site, beside MathJax's woff fonts.
 */
var MathJax = {
  loader: {
    load: ['input/tex-full', 'output/chtml', 'adaptors/liteDOM', 'a11y/assistive-mml'],
    paths: {mathjax: 'mathjax'},
    require: function (file) {
      var name = file.replace(/^mathjax\//, '').replace(/\.js$/, '');
      var source = COMPONENTS[name];
      if (source === undefined) {
        throw new Error('MathJax component not provided: ' + file);
      }
      (0, eval)(source);
      return {};
    }
  },
  tex: {tags: 'none'},
  chtml: {fontURL: FONT_URL, adaptiveCSS: false},
  startup: {typeset: false}
};

/* JSON [[tex, display], ...] in; JSON [[html or null, error or null], ...]
 * out. One call per batch keeps the crossings between Python and V8 few. */
function typesetBatch(json) {
  var adaptor = MathJax.startup.adaptor;
  return JSON.stringify(JSON.parse(json).map(function (item) {
    try {
      var node = MathJax.tex2chtml(item[0], {display: item[1]});
      return [adaptor.outerHTML(node), null];
    } catch (error) {
      return [null, String(error && error.message || error)];
    }
  }));
}

/* The stylesheet of every page typeset here: CommonHTML's (all glyphs of
 * the fonts, which load from FONT_URL) and the assistive MathML's. */
function styleSheet() {
  var adaptor = MathJax.startup.adaptor;
  return adaptor.textContent(MathJax.startup.document.documentStyleSheet());
}
