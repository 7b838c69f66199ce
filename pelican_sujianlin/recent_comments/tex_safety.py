"""TeX written by strangers, made harmless before MathJax reads it.

MathJax turns some TeX into HTML that acts: ``\\href{javascript:...}`` is a
live link, ``\\style``/``\\bbox``/``\\class``/``\\cssId`` write CSS, classes
and ids, ``\\require`` loads code, ``\\def``/``\\newcommand``/``\\let`` could
rebuild any of these under another name, and ``\\kern``, ``\\raise``,
``\\rule`` or ``\\\\[-99em]`` can move drawn math over the rest of the page.

:func:`safe_tex` keeps a formula's TeX as typed when every control sequence
in it is on an allow-list of harmless ones (letters, symbols, fonts,
fractions, accents, arrays...) and rewrites every other one as text:
``\\href`` becomes ``\\backslash\\text{href}``, which MathJax draws as
"\\href" and which does nothing. The check is on tokens, the way MathJax
reads them (``\\`` then ASCII letters, or ``\\`` then one character), over
the whole formula, so a command inside ``\\text{$...$}``, an argument or a
comment is caught as well. A few allowed commands take an argument that is
checked too: ``\\href`` keeps only an absolute http(s) URL, ``\\color`` only a
colour name or ``#hex``, ``\\begin``/``\\end`` only the environments listed,
an array's column letters only ``lcr|:``.

:func:`inert_text` is for text that is not meant to be math at all (an
author's name, prose): it puts a WORD JOINER after each backslash, so MathJax
finds no control sequence in it, whatever delimiters surround it.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

GREEK = """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota
kappa varkappa lambda mu nu xi omicron pi varpi rho varrho sigma varsigma tau
upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon
Phi Psi Omega varGamma varDelta varTheta varLambda varXi varPi varSigma
varUpsilon varPhi varPsi varOmega digamma aleph beth gimel daleth"""

SYMBOLS = """ell hbar hslash imath jmath wp Re Im partial infty nabla emptyset
varnothing forall exists nexists neg lnot top bot angle measuredangle
sphericalangle triangle triangledown square blacksquare lozenge blacklozenge
bigstar prime backprime surd flat natural sharp clubsuit diamondsuit
heartsuit spadesuit complement eth mho checkmark dagger ddagger S P
pounds yen degree copyright circledR
pm mp times div cdot ast star circ bullet oplus ominus otimes oslash odot cap
cup sqcap sqcup vee wedge land lor setminus smallsetminus wr amalg uplus
bigcirc triangleleft triangleright bigtriangleup bigtriangledown lhd rhd
unlhd unrhd dotplus divideontimes ltimes rtimes leftthreetimes
rightthreetimes curlywedge curlyvee barwedge doublebarwedge boxplus boxminus
boxtimes boxdot circleddash circledast circledcirc centerdot intercal Cap Cup
leq le geq ge neq ne equiv approx approxeq sim simeq cong propto varpropto
subset supset subseteq supseteq subsetneq supsetneq subseteqq supseteqq
sqsubset sqsupset sqsubseteq sqsupseteq in ni notin owns mid nmid parallel
nparallel perp models vdash dashv vDash Vdash Vvdash nvdash nvDash nVdash
nVDash ll gg lll ggg lesssim gtrsim lessapprox gtrapprox leqq geqq leqslant
geqslant lneq gneq lneqq gneqq nleq ngeq nless ngtr prec succ preceq succeq
precsim succsim asymp bowtie smile frown doteq doteqdot fallingdotseq
risingdotseq triangleq eqcirc circeq bumpeq Bumpeq thicksim thickapprox
backsim backsimeq lessgtr gtrless lesseqgtr gtreqless therefore because
between pitchfork ncong nsim nsubseteq nsupseteq trianglelefteq
trianglerighteq vartriangleleft vartriangleright ntriangleleft
ntriangleright shortmid shortparallel coloneqq eqqcolon
to gets leftarrow rightarrow Leftarrow Rightarrow leftrightarrow
Leftrightarrow longleftarrow longrightarrow Longleftarrow Longrightarrow
longleftrightarrow Longleftrightarrow mapsto longmapsto hookleftarrow
hookrightarrow uparrow downarrow Uparrow Downarrow updownarrow Updownarrow
nearrow searrow swarrow nwarrow leftharpoonup leftharpoondown
rightharpoonup rightharpoondown rightleftharpoons leftrightharpoons iff
implies impliedby leadsto rightsquigarrow leftrightsquigarrow
twoheadrightarrow twoheadleftarrow rightarrowtail leftarrowtail
circlearrowleft circlearrowright curvearrowleft curvearrowright
upharpoonleft upharpoonright downharpoonleft downharpoonright nleftarrow
nrightarrow nLeftarrow nRightarrow nleftrightarrow nLeftrightarrow
dashrightarrow dashleftarrow leftleftarrows rightrightarrows leftrightarrows
rightleftarrows upuparrows downdownarrows Lsh Rsh looparrowleft
looparrowright multimap restriction xrightarrow xleftarrow xLeftarrow
xRightarrow xleftrightarrow xLeftrightarrow xmapsto xhookleftarrow
xhookrightarrow
sum prod coprod int iint iiint iiiint oint bigcup bigcap bigvee bigwedge
bigoplus bigotimes bigodot biguplus bigsqcup intop smallint limits nolimits
displaylimits
sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth exp log ln
lg lim liminf limsup sup inf max min arg deg det dim gcd hom ker Pr injlim
projlim varliminf varlimsup varinjlim varprojlim mod bmod pmod pod
operatorname
hat widehat tilde widetilde bar overline underline vec overrightarrow
overleftarrow overleftrightarrow underrightarrow underleftarrow
underleftrightarrow dot ddot dddot ddddot acute grave breve check mathring
overbrace underbrace overset underset stackrel frac dfrac tfrac cfrac binom
dbinom tbinom choose over atop sqrt root of left right middle big Big bigg
Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm biggm Biggm
boxed cancel bcancel xcancel phantom vphantom hphantom not substack
text textrm textit textbf textsf texttt textnormal mbox
mathrm mathit mathbf mathsf mathtt mathcal mathscr mathfrak mathbb
mathnormal boldsymbol pmb rm it bf sf tt cal frak Bbb
displaystyle textstyle scriptstyle scriptscriptstyle tiny small
normalsize large Large LARGE huge Huge
color textcolor href
quad qquad enspace thinspace medspace thickspace negthinspace negmedspace
negthickspace nobreakspace space
ldots cdots vdots ddots dots dotsc dotsb dotsm dotsi dotso cdotp ldotp
colon
langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert
backslash lbrace rbrace lbrack rbrack ulcorner urcorner llcorner lrcorner
lgroup rgroup lmoustache rmoustache arrowvert Arrowvert bracevert
begin end hline hdashline cr nonumber notag
mathop mathbin mathrel mathord mathopen mathclose mathpunct mathinner
mathstrut strut bra ket braket"""

DISPLAY_ENVIRONMENTS = """equation align alignat flalign gather multline eqnarray
displaymath math"""
INNER_ENVIRONMENTS = """matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix
cases array aligned alignedat gathered split subarray CD"""

#: Every control word comment math may use.
ALLOWED_COMMANDS = frozenset((GREEK + " " + SYMBOLS).split())

#: Control symbols (``\\`` and one non-letter) comment math may use.
ALLOWED_SYMBOLS = frozenset(" \t\n,:;!>|{}#$%&_\\()[]'")

#: Environments comment math may use, inside a formula or as one.
ALLOWED_ENVIRONMENTS = frozenset(
    name + star for name in DISPLAY_ENVIRONMENTS.split() for star in ("", "*")
) | frozenset(INNER_ENVIRONMENTS.split())

TOKEN_RE = re.compile(r"\\(?:([A-Za-z]+)|([\ud800-\udbff].|.)|$)", re.S)
# An argument in braces with no brace or backslash in it (spaces before it).
SIMPLE_ARGUMENT_RE = re.compile(r"\s*\{([^{}\\]*)\}")
OPTIONAL_ARGUMENT_RE = re.compile(r"\s*\[([^\[\]{}\\]*)\]")
URL_RE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~!*'();:@&=+,/?#%-]*)?"
)
COLOR_RE = re.compile(r"[A-Za-z]{1,30}|#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}")
COLUMNS_RE = re.compile(r"[lcr|: ]{1,200}")
ALIGNAT_RE = re.compile(r"\s*\d{1,2}\s*")
POSITION_RE = re.compile(r"[tbc]?")
# After ``\\``: a ``[`` would be a row's extra height, possibly negative.
ROW_SPACE_RE = re.compile(r"\s*\*?\s*\[")

ARGUMENT_CHECKS = {
    "href": URL_RE,
    "color": COLOR_RE,
    "textcolor": COLOR_RE,
}
ENVIRONMENT_ARGUMENTS = {
    "array": COLUMNS_RE,
    "subarray": COLUMNS_RE,
    "alignat": ALIGNAT_RE,
    "alignat*": ALIGNAT_RE,
    "alignedat": ALIGNAT_RE,
}


def neutral(name: str) -> str:
    """What a refused control word becomes: its name as text."""
    return rf"\backslash\text{{{name}}}"


def safe_tex(tex: str) -> str:
    """``tex`` with every control sequence off the allow-list made text."""
    if "\\" not in tex:
        return tex
    out: list[str] = []
    last = 0
    for match in TOKEN_RE.finditer(tex):
        out.append(tex[last : match.start()])
        last = match.end()
        word, symbol = match.group(1), match.group(2)
        if word is not None:
            kept, last = checked_word(tex, word, match.end())
            out.append(kept)
        elif symbol is not None and symbol in ALLOWED_SYMBOLS:
            out.append(match.group())
            if symbol == "\\" and ROW_SPACE_RE.match(tex, match.end()):
                out.append("{}")  # the [..] stays, as text
        else:
            out.append(r"\backslash{}")  # a stray or unknown control symbol
            last = match.start() + 1  # its character stays, as typed
    out.append(tex[last:])
    return "".join(out)


def checked_word(tex: str, word: str, end: int) -> tuple[str, int]:
    """The text to write for control word ``word`` ending at ``end``, and
    where the scan goes on."""
    if word not in ALLOWED_COMMANDS:
        return neutral(word), end
    if word in ("begin", "end"):
        return checked_environment(tex, word, end)
    check = ARGUMENT_CHECKS.get(word)
    if check is None:
        return "\\" + word, end
    argument = SIMPLE_ARGUMENT_RE.match(tex, end)
    if argument is None or not check.fullmatch(argument.group(1).strip()):
        return neutral(word), end
    return tex[end - len(word) - 1 : argument.end()], argument.end()


def checked_environment(tex: str, word: str, end: int) -> tuple[str, int]:
    name = SIMPLE_ARGUMENT_RE.match(tex, end)
    if name is None or name.group(1).strip() not in ALLOWED_ENVIRONMENTS:
        return neutral(word), end
    environment = name.group(1).strip()
    kept = f"\\{word}{{{environment}}}"
    if word == "end":
        return kept, name.end()
    position = name.end()
    if environment == "array":
        option = OPTIONAL_ARGUMENT_RE.match(tex, position)
        if option is not None:
            if not POSITION_RE.fullmatch(option.group(1).strip()):
                return neutral(word), end
            kept += f"[{option.group(1).strip()}]"
            position = option.end()
    check = ENVIRONMENT_ARGUMENTS.get(environment)
    if check is None:
        return kept, position
    argument = SIMPLE_ARGUMENT_RE.match(tex, position)
    if argument is None or not check.fullmatch(argument.group(1)):
        return neutral(word), end
    return kept + "{" + argument.group(1) + "}", argument.end()


BARE_BACKSLASH_RE = re.compile(rf"\\(?!{WORD_JOINER})")


def inert_text(text: str) -> str:
    """``text`` with a WORD JOINER after every backslash (that has none yet):
    no TeX command in it can reach MathJax, and it reads the same."""
    return BARE_BACKSLASH_RE.sub("\\\\" + WORD_JOINER, text) if "\\" in text else text
