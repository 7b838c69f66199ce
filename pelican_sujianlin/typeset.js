/* MathJax 3 (es5 components) inside an embedded V8, for pelican_sujianlin.typeset.
 *
 * Python defines COMPONENTS ({name: source}) before this file runs. There is
 * no `window`: MathJax's startup then builds a liteDOM document instead of
 * wanting a browser's. The loader's `require` evaluates a component from
 * COMPONENTS instead of reading a file. Configured as the browser side is
 * (sujianlin/mathjax.html): the equations plugin wrote every \tag{N}, so
 * MathJax numbers nothing itself (tags: 'none').
 */
var MathJax = {
  loader: {
    load: ['input/tex-full', 'output/svg', 'adaptors/liteDOM', 'a11y/assistive-mml'],
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
  svg: {fontCache: 'global'},
  startup: {typeset: false}
};

/* Glyphs of the global font cache already handed to Python. */
var GLYPHS_SENT = 0;

/* JSON [[tex, display], ...] in; JSON {results: [[html or null, error or
 * null], ...], glyphs: [[id, path], ...]} out, with the glyphs (shared by
 * every formula: fontCache 'global') first drawn in this batch. One call per
 * batch keeps the crossings between Python and V8 few. */
function typesetBatch(json) {
  var adaptor = MathJax.startup.adaptor;
  var results = JSON.parse(json).map(function (item) {
    try {
      var node = MathJax.tex2svg(item[0], {display: item[1]});
      return [adaptor.outerHTML(node), null];
    } catch (error) {
      return [null, String(error && error.message || error)];
    }
  });
  var glyphs = Array.from(MathJax.startup.output.fontCache.cache.entries());
  var fresh = glyphs.slice(GLYPHS_SENT);
  GLYPHS_SENT = glyphs.length;
  return JSON.stringify({results: results, glyphs: fresh});
}
