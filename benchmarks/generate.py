"""Write a synthetic kexue.fm-like Pelican site for the build benchmark.

    python benchmarks/generate.py --articles 1000 --equations 10 --comments 5 OUT

``OUT/content`` gets N Markdown articles in Chinese (about ``--size`` bytes
each) with inline math, numbered display equations (``equation``, multi-row
``align``, ``$$``/``\\[``), ``\\label``/``\\eqref``/``\\ref`` (backward and
forward; ``\\eqref{slug/label}`` to an earlier part of a series), a
``<!--more-->`` marker in most of them, kexue-style series titles
(``生成扩散模型漫谈（十五）：...``, ``Transformer升级之路：2、...``, ``...（上）``;
some series also carry ``Series:`` metadata), ``Readers:`` counts, tags and
categories, an about page, and K comment files per article in
``content/comments/<slug>/`` (metadata ``author``, ``date``, optional
``website``, ``replyto``). ``OUT/pelicanconf.py`` builds it with the bundle.

The output depends only on the arguments and ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

START_DATE = dt.datetime(2004, 1, 1, 9, 0)
SERIES_SHARE = 0.3  # share of the articles that belong to a series
MORE_SHARE = 0.9  # share of the articles that have a <!--more--> marker

SENTENCES = [
    "我们先从一个简单的例子出发，看看问题的本质在哪里",
    "这个结果初看之下有点反直觉，但仔细推敲后会发现它非常自然",
    "很多读者在评论区问到了这一点，这里统一回答一下",
    "从几何的角度来看，这相当于在高维空间中寻找一个最优的投影方向",
    "由于篇幅所限，这里只给出主要的推导步骤，细节留给读者自行补充",
    "值得注意的是，这个近似在大多数实际场景中已经足够精确",
    "换句话说，模型需要在拟合能力与泛化能力之间做出权衡",
    "如果把时间步看成连续变量，那么上述过程就变成了一个随机微分方程",
    "这种做法的好处是计算量与序列长度成线性关系，而不是平方关系",
    "实验结果表明，这样的改动几乎不影响效果，但训练速度明显提升",
    "当然，这只是一种可能的解释，未必是唯一正确的理解方式",
    "读者可以思考一下，如果去掉这个约束，结论还成立吗",
    "我们将在后面的文章中进一步讨论这个问题的推广形式",
    "这里的关键一步是利用了矩阵的谱分解，把问题化归为标量情形",
    "从概率的角度看，这等价于最大化数据的对数似然的一个下界",
    "事实上，早在上世纪六十年代，类似的思想就已经出现在控制论中",
    "为了便于理解，不妨假设所有的向量都已经做了归一化处理",
    "这样一来，原本棘手的积分就可以用蒙特卡洛方法来近似估计",
    "可以看到，当温度参数趋于零时，软化的结果退化为硬性的最大值",
    "这也解释了为什么在实践中学习率需要随着批大小一起调整",
    "进一步地，我们可以把上述结论推广到任意维度的情形",
    "注意这里的期望是对噪声分布求的，与参数本身无关",
    "在实际实现时，通常会加入一个很小的常数来避免数值溢出",
    "这个技巧看似简单，却在很多经典模型中起到了关键作用",
    "归根结底，这是一个优化问题，只是目标函数的形式比较特殊",
    "相比之下，传统方法需要多次迭代才能收敛到同样的精度",
    "笔者在做实验时也踩过这个坑，所以特意在这里提醒一下",
    "由此可见，初始化方式对最终结果有着不可忽视的影响",
    "以上推导并不严格，但足以说明问题的要点",
    "本文的代码已经开源，有兴趣的读者可以自行尝试",
]

INLINE_MATH = [
    r"$x_t = \alpha_t x_0 + \beta_t \varepsilon$",
    r"$\mathbb{E}_{x\sim p(x)}[f(x)]$",
    r"$\boldsymbol{W}\in\mathbb{R}^{n\times d}$",
    r"$\Vert \boldsymbol{q}_m - \boldsymbol{k}_n\Vert^2$",
    r"$p(x_{t-1}|x_t)$",
    r"$\mathcal{O}(n^2)$",
    r"$\lambda_1 \geq \lambda_2 \geq \cdots \geq \lambda_d$",
    r"$\theta^* = \mathop{\text{argmin}}_{\theta} L(\theta)$",
    r"$a_i * b_j$",
    r"$\sigma(x)=1/(1+e^{-x})$",
    r"$\langle \boldsymbol{x}, \boldsymbol{y}\rangle$",
    r"$\log \sum_i e^{x_i}$",
]

DISPLAY_BODIES = [
    r"\mathcal{L} = \mathbb{E}_{t, x_0, \varepsilon}\left[\Vert \varepsilon"
    r" - \epsilon_{\theta}(\alpha_t x_0 + \beta_t \varepsilon, t)\Vert^2\right]",
    r"p(\boldsymbol{x}) = \int p(\boldsymbol{x}|\boldsymbol{z})"
    r" p(\boldsymbol{z}) d\boldsymbol{z}",
    r"\boldsymbol{q}_m^{\top}\boldsymbol{k}_n = \text{Re}\left[\sum_{i=0}^{d/2-1}"
    r" \boldsymbol{q}_{[2i:2i+1]}\boldsymbol{k}_{[2i:2i+1]}^*"
    r" e^{i(m-n)\theta_i}\right]",
    r"\frac{d\boldsymbol{\theta}}{dt} = -\nabla_{\boldsymbol{\theta}}"
    r" L(\boldsymbol{\theta}) + \sqrt{2T}\,\boldsymbol{\xi}(t)",
    r"\text{softmax}(\boldsymbol{x})_i"
    r" = \frac{e^{x_i/\tau}}{\sum_{j=1}^n e^{x_j/\tau}}",
    r"KL\big(p(x)\Vert q(x)\big) = \sum_x p(x)\log\frac{p(x)}{q(x)} \geq 0",
    r"f(x) = \begin{cases} x^2, & x \geq 0 \\ -x^3, & x < 0 \end{cases}",
    r"\boldsymbol{W}^* = \mathop{\text{argmin}}_{\text{rank}(\boldsymbol{W})\leq r}"
    r" \Vert \boldsymbol{W} - \boldsymbol{M}\Vert_F^2",
]

ALIGN_ROWS = [
    r"\mathcal{L} &= -\log p(x) \\",
    r"&\leq \mathbb{E}_{q(z|x)}\left[-\log p(x|z)\right] + KL(q(z|x)\Vert p(z)) \\",
    r"&= \mathcal{L}_{\text{rec}} + \mathcal{L}_{\text{kl}} \\",
    r"\boldsymbol{h}_t &= \tanh(\boldsymbol{W}\boldsymbol{h}_{t-1}"
    r" + \boldsymbol{U}\boldsymbol{x}_t) \\",
    r"\boldsymbol{y}_t &= \text{softmax}(\boldsymbol{V}\boldsymbol{h}_t) \\",
]

LABEL_WORDS = ["loss", "elbo", "rope", "sde", "kl", "grad", "attn", "lr", "norm", "vae"]

SERIES_NAMES = [
    "生成扩散模型漫谈",
    "Transformer升级之路",
    "优化器的几何笔记",
    "隐变量模型杂谈",
    "低秩适配十问",
    "掩码语言模型随想",
    "学习率调度手记",
    "矩阵分解札记",
    "注意力的另一面",
    "分词算法小记",
    "数值线性代数拾遗",
    "熵与温度的故事",
]
SERIES_PREFIXES = ["", "再谈", "重温", "细说", "漫谈", "简述", "新解", "浅析", "深挖"]
SUBTITLES = [
    "加噪与去噪的两条链",
    "随机微分方程的视角",
    "相对位置从何而来",
    "步长为什么要自适应",
    "给生成加上条件",
    "三角函数编码的由来",
    "几种形式的统一",
    "批大小与噪声尺度",
    "线性化的代价",
    "期望最大化的另一种推导",
    "传输映射与生成",
    "分解时不加约束会怎样",
]
TOPICS = ["Softmax", "Adam", "VAE", "GAN", "Mamba", "RoPE", "MoE", "EM算法", "熵"]
TITLE_FORMS = [
    "从{a}到{b}：一个简单的推导",
    "{a}的一个新视角",
    "为什么{a}需要{b}？",
    "浅谈{a}与{b}的联系",
    "{a}中的一个数值稳定性问题",
]
CATEGORIES = ["信息时代", "数学研究", "物理化学", "天文探索", "生活情感", "资源共享"]
TAGS = [
    "深度学习",
    "生成模型",
    "扩散模型",
    "优化",
    "概率",
    "矩阵",
    "积分",
    "attention",
    "语言模型",
    "微分方程",
    "变分",
    "位置编码",
    "梯度",
    "采样",
    "熵",
    "级数",
    "复分析",
    "最优传输",
    "文本生成",
    "无监督",
]
COMMENTERS = ["小明", "Jimmy", "梦想家", "路人甲", "meng", "Euler粉", "笨鸟", "kk"]
COMMENT_BODIES = [
    "感谢博主的分享，式子推导得非常清楚。",
    "请问$\\beta_t$的取值有什么讲究吗？",
    "这里的**近似**是不是要求$t$足够小？",
    "按照文中的方法复现了一下，效果确实不错。",
    "有个小问题：$\\sum_i p_i \\log p_i$ 的符号好像反了？",
    "期待下一篇！",
    "我觉得可以用`torch.linalg.eigh`直接算。",
    "这个视角太妙了，之前从来没这样想过。",
]

DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1 -> 一, 10 -> 十, 15 -> 十五, 21 -> 二十一, 105 -> 一百零五."""
    if number < 10:
        return DIGITS[number]
    if number < 20:
        return "十" + (DIGITS[number % 10] if number % 10 else "")
    if number < 100:
        tens, ones = divmod(number, 10)
        return DIGITS[tens] + "十" + (DIGITS[ones] if ones else "")
    hundreds, rest = divmod(number, 100)
    head = DIGITS[hundreds] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + DIGITS[rest]
    return head + ("一" if rest < 20 else "") + chinese_numeral(rest)


@dataclass
class Equation:
    """One display equation: its TeX and the labels it defines."""

    tex: str
    labels: list[str] = field(default_factory=list)


@dataclass
class ArticlePlan:
    """What one generated article contains (tests read this)."""

    slug: str
    title: str
    date: dt.datetime
    category: str
    tags: list[str]
    readers: int
    series: str | None = None
    series_index: int | None = None
    series_metadata: bool = False
    has_more: bool = True
    labels: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    cites: str | None = None  # "slug/label" of an earlier part's equation


@dataclass
class GeneratedSite:
    """A generated site: its folders and what it holds."""

    root: Path
    content: Path
    articles: list[ArticlePlan]

    @property
    def comment_count(self) -> int:
        return sum(len(article.comments) for article in self.articles)


def series_name(number: int) -> str:
    prefix = SERIES_PREFIXES[(number // len(SERIES_NAMES)) % len(SERIES_PREFIXES)]
    round_ = number // (len(SERIES_NAMES) * len(SERIES_PREFIXES))
    name = prefix + SERIES_NAMES[number % len(SERIES_NAMES)]
    return name + ("之" + chinese_numeral(round_ + 1) if round_ else "")


def series_title(style: int, name: str, index: int, count: int, sub: str) -> str:
    """A kexue-style title of part ``index`` (1-based) of ``count``."""
    if style == 2:
        parts = ("（上）", "（下）") if count == 2 else ("（上）", "（中）", "（下）")
        return name + parts[index - 1]
    if style == 1:
        return f"{name}：{index}、{sub}"
    return f"{name}（{chinese_numeral(index)}）：{sub}"


def plan_series(rng: random.Random, count: int) -> dict[int, tuple[str, int, int, int]]:
    """Map article index -> (series name, part index, style, number of parts)."""
    members = int(count * SERIES_SHARE)
    lengths: list[int] = []
    while sum(lengths) < members:
        style = len(lengths) % 3
        lengths.append(rng.randint(2, 3) if style == 2 else rng.randint(3, 24))
    positions = rng.sample(range(count), min(sum(lengths), count))
    plan: dict[int, tuple[str, int, int, int]] = {}
    start = 0
    for number, length in enumerate(lengths):
        parts = sorted(positions[start : start + length])
        start += length
        for index, position in enumerate(parts, 1):
            plan[position] = (series_name(number), index, number % 3, len(parts))
    return plan


def plain_title(rng: random.Random, number: int) -> str:
    if number == 7:
        return "exp(x)在x=0处的偶次泰勒展开式总是正的"
    a, b = rng.sample(TOPICS, 2)
    return rng.choice(TITLE_FORMS).format(a=a, b=b)


def sentence(rng: random.Random, math_rate: float = 0.3) -> str:
    text = rng.choice(SENTENCES)
    if rng.random() < math_rate:
        head, _, tail = text.partition("，")
        math = rng.choice(INLINE_MATH)
        text = f"{head}，其中{math}，{tail}" if tail else f"{head}，其中{math}"
    return text + "。"


def paragraph(rng: random.Random, sentences: int | None = None) -> str:
    count = sentences or rng.randint(3, 6)
    return "".join(sentence(rng) for _ in range(count))


def make_equations(rng: random.Random, count: int) -> list[Equation]:
    equations = []
    for number in range(count):
        word = rng.choice(LABEL_WORDS)
        label = f"eq:{word}-{number + 1}"
        kind = rng.random()
        if kind < 0.5:
            body = rng.choice(DISPLAY_BODIES)
            tex = f"\\begin{{equation}}{body}\\label{{{label}}}\\end{{equation}}"
            equations.append(Equation(tex, [label]))
        elif kind < 0.7:
            first, second, third = rng.sample(ALIGN_ROWS, 3)
            tex = (
                "\\begin{align}\n"
                f"{first[:-2]}\\label{{{label}}} \\\\\n"
                f"{second[:-2]}\\notag \\\\\n"
                f"{third[:-2]}\\label{{{label}b}}\n"
                "\\end{align}"
            )
            equations.append(Equation(tex, [label, label + "b"]))
        elif kind < 0.85:
            equations.append(Equation(f"$$\n{rng.choice(DISPLAY_BODIES)}\n$$"))
        else:
            equations.append(Equation(f"\\[{rng.choice(DISPLAY_BODIES)}\\]"))
    return equations


def reference(rng: random.Random, label: str) -> str:
    return rng.choice(
        [
            f"结合式$\\eqref{{{label}}}$，",
            f"由$\\eqref{{{label}}}$可知，",
            f"根据式\\eqref{{{label}}}，",
            f"第\\ref{{{label}}}式告诉我们，",
        ]
    )


def article_body(
    rng: random.Random,
    equations: list[Equation],
    size: int,
    has_more: bool,
    cites: str | None = None,
) -> str:
    """Paragraphs and equations; references follow (or precede) their target;
    ``cites`` (``slug/label``) names an equation of another article."""
    labels = [label for equation in equations for label in equation.labels]
    blocks = [paragraph(rng), paragraph(rng)]
    below = [label for equation in equations[1:] for label in equation.labels]
    if below and rng.random() < 0.5:  # the summary refers below the fold
        blocks[1] = reference(rng, rng.choice(below)) + blocks[1]
    if equations:
        blocks.append(equations[0].tex)
    if has_more:
        blocks.append("<!--more-->")
    fold = len(blocks)
    blocks.append("## 问题的提出")
    if cites:
        blocks.append(
            f"上一篇的式$\\eqref{{{cites}}}$在这里依然成立。" + paragraph(rng, 2)
        )
    for number, equation in enumerate(equations[1:], 1):
        later = [label for eq in equations[number:] for label in eq.labels]
        lead = reference(rng, later[0]) if later and rng.random() < 0.3 else ""
        blocks.append(lead + paragraph(rng, 2))
        blocks.append(equation.tex)
        if equation.labels:
            blocks.append(reference(rng, equation.labels[-1]) + paragraph(rng, 2))
        if number % 4 == 0:
            blocks.append(f"## 第{chinese_numeral(number // 4 + 1)}部分")
    if labels:
        blocks.append(
            reference(rng, labels[0])
            + "我们得到了下面几点结论：\n\n"
            + "\n".join(f"- {sentence(rng, 0.5)}" for _ in range(3))
        )
    blocks.append(
        "**总结**：" + paragraph(rng, 2) + "代码见[这里](https://github.com/bojone)"
        "，详细推导见参考文献[^ref]。\n\n[^ref]: 苏剑林. 科学空间, 2024."
    )
    while len("\n\n".join(blocks).encode()) < size:
        blocks.insert(rng.randint(fold, len(blocks) - 1), paragraph(rng))
    return "\n\n".join(blocks)


def write_comments(
    rng: random.Random, folder: Path, plan: ArticlePlan, count: int
) -> None:
    when = plan.date
    for number in range(1, count + 1):
        when += dt.timedelta(hours=rng.randint(1, 240), minutes=rng.randint(0, 59))
        name = f"c{number}"
        lines = [
            f"author: {rng.choice(COMMENTERS)}{rng.randint(1, 99)}",
            f"date: {when:%Y-%m-%d %H:%M}",
            f"slug: {name}",
        ]
        if rng.random() < 0.4:
            lines.append(f"website: https://example.org/~reader{rng.randint(1, 500)}")
        if number > 1 and rng.random() < 0.3:
            lines.append(f"replyto: c{rng.randint(1, number - 1)}")
        body = " ".join(rng.sample(COMMENT_BODIES, rng.randint(1, 3)))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.md").write_text(
            "\n".join(lines) + "\n\n" + body + "\n", encoding="utf-8"
        )
        plan.comments.append(name)


def article_text(plan: ArticlePlan, body: str) -> str:
    readers = f"{plan.readers:,}" if plan.readers % 5 == 0 else str(plan.readers)
    lines = [
        f"Title: {plan.title}",
        f"Date: {plan.date:%Y-%m-%d %H:%M}",
        f"Category: {plan.category}",
        f"Tags: {', '.join(plan.tags)}",
        f"Slug: {plan.slug}",
        f"Readers: {readers}",
    ]
    if plan.series_metadata:
        lines += [f"Series: {plan.series}", f"Series_index: {plan.series_index}"]
    return "\n".join(lines) + "\n\n" + body + "\n"


PELICANCONF = '''"""Settings to build this generated site with the whole bundle."""

AUTHOR = "苏剑林"
SITENAME = "科学空间"
SITEURL = "https://kexue.example.test"
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
ARTICLE_EXCLUDES = ["comments"]
PLUGINS = ["pelican_sujianlin"]
'''

ABOUT = """Title: 关于
Slug: about

科学空间是一个以数学、物理和机器学习为主题的博客，这是它的一个合成版本，
用于测量构建速度。
"""


def generate(
    out: Path,
    articles: int = 1000,
    equations: int = 10,
    comments: int = 5,
    size: int = 8000,
    seed: int = 2024,
) -> GeneratedSite:
    """Write the site into ``out`` (replacing ``out/content``) and describe it."""
    rng = random.Random(seed)
    content = out / "content"
    if content.exists():
        shutil.rmtree(content)
    (content / "pages").mkdir(parents=True)
    (content / "pages" / "about.md").write_text(ABOUT, encoding="utf-8")
    (out / "pelicanconf.py").write_text(PELICANCONF, encoding="utf-8")
    in_series = plan_series(rng, articles)
    plans = []
    last_part: dict[str, ArticlePlan] = {}
    for number in range(articles):
        slug = str(1000 + number)
        date = START_DATE + dt.timedelta(days=2 * number, minutes=rng.randint(0, 600))
        plan = ArticlePlan(
            slug=slug,
            title=plain_title(rng, number),
            date=date,
            category=rng.choice(CATEGORIES),
            tags=rng.sample(TAGS, rng.randint(2, 4)),
            readers=int(rng.lognormvariate(9, 1.2)) + 100,
            has_more=rng.random() < MORE_SHARE,
        )
        if number in in_series:
            name, index, style, parts = in_series[number]
            plan.series, plan.series_index = name, index
            plan.title = series_title(style, name, index, parts, rng.choice(SUBTITLES))
            plan.series_metadata = hash_series(name) % 4 == 1 and style != 2
            earlier = last_part.get(name)
            if earlier and earlier.labels and rng.random() < 0.5:
                plan.cites = f"{earlier.slug}/{rng.choice(earlier.labels)}"
            last_part[name] = plan
        maths = make_equations(rng, equations)
        plan.labels = [label for equation in maths for label in equation.labels]
        body = article_body(rng, maths, size, plan.has_more, plan.cites)
        (content / f"{slug}.md").write_text(article_text(plan, body), encoding="utf-8")
        write_comments(rng, content / "comments" / slug, plan, comments)
        plans.append(plan)
    return GeneratedSite(out, content, plans)


def hash_series(name: str) -> int:
    """A stable small hash (``hash()`` of a str changes between processes)."""
    return sum(name.encode())


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that size a generated site (shared by every benchmark tool)."""
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--equations", type=int, default=10, help="per article")
    parser.add_argument("--comments", type=int, default=5, help="per article")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the site into")
    add_size_arguments(parser)
    parser.add_argument("--size", type=int, default=8000, help="bytes per article")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    site = generate(
        args.out, args.articles, args.equations, args.comments, args.size, args.seed
    )
    print(
        f"wrote {len(site.articles)} articles and {site.comment_count} comments "
        f"to {site.content}"
    )


if __name__ == "__main__":
    main()
