"""Name normalisation: any script and spelling → comparable ASCII tokens.

Steps, in order (each documented in docs/compliance.md):

1. transliterate to ASCII (anyascii; a name written in Chinese characters is split into
   surname + given name), lower case;
2. punctuation: apostrophes vanish (GAMA'AT → gamaat), dotted abbreviations close up
   (S.A. → sa), anything else that is not a letter or digit separates tokens (so
   "LAST, First" and "First LAST" give the same tokens: matching is order-free);
3. runs of single letters are joined (B N C → bnc);
4. honorifics (Mr, Dr, Sheikh, Hajji...), legal-form suffixes (LLC, Ltd, S.A., GmbH,
   JSC...) and articles (al, el, the, of) are dropped, unless nothing else is left;
5. common transliteration variants map to one spelling (Mohammed/Muhammad/Mohamed →
   muhammad, Yusuf/Yousef → yusuf; Abdul/Abdel/Abd → abd, and Abdulrahman → abd
   rahman); the token as written is kept beside its canonical form;
6. a light phonetic skeleton: doubled letters single, ph → f, q → k, ck → k, y → i
   (except at the start).

Particles (bin, ibn, abu, de, van...) and single letters stay but weigh less in the
score. Everything here is pure and cached per token.
"""

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

HONORIFICS = frozenset(
    """
    mr mrs ms miss mister madam dr doctor prof professor sir dame lord lady rev reverend
    sheikh shaikh shaykh sheik shaik cheikh hajji haji hajj hadji alhaji alhajj mullah mulla
    maulana mawlana maulvi mawlawi imam sayyid sayed syed hon honorable honourable gen general
    col colonel maj major capt captain lt brig admiral sgt
    """.split()
)

LEGAL_FORMS = frozenset(
    """
    llc llp lllp lp ltd limited inc incorporated corp corporation co company cos plc
    sa sas sarl srl spa sl sau sae sal sac saic sapi cv bv nv ag gmbh kg ohg ug ev
    jsc ojsc cjsc pjsc oao zao ooo pao tov pt tbk bhd sdn pte pvt pty fze fzco fzc fzllc
    dmcc wll kk ab oy as asa aps kft zrt sro doo dd ad ead eood ltda lda limitada cia eirl saa sprl ltee
    group holding holdings
    """.split()
)

ARTICLES = frozenset("al el ul the of and und et".split())

PARTICLES = frozenset(
    """
    bin ibn bint binti ben abu abou abd de da das do dos del della di du van von der den la le y e ter ould mac
    """.split()
)

# Transliteration variants → one spelling. Small on purpose: Jaro-Winkler and the typo
# neighbourhood cover one- and two-letter differences; this covers the longer ones.
_VARIANT_GROUPS = {
    "muhammad": "mohammed mohammad mohamed mohamad muhammed muhamad mohammud muhammet mehmet mahomed mohd "
    "mohamud mouhamed mouhammad muhamed mohammet",
    "ahmad": "ahmed ahmet achmad akhmad akhmed",
    "mahmud": "mahmood mahmoud mehmood mahmut",
    "yusuf": "yousef yousuf yusef youssef yosef yousif yusif yussuf jusuf",
    "husayn": "hussein husain hussain husein hossein hosein husseyn huseyin",
    "hasan": "hassan hasen",
    "usama": "osama ousama",
    "umar": "omar omer oumar",
    "uthman": "othman osman usman utman",
    "abdallah": "abdullah abdulla abdalla abdellah abdollah",
    "khalid": "khaled kalid",
    "ibrahim": "ebrahim ibraheem brahim",
    "mustafa": "mostafa moustafa mustapha mostapha",
    "sulayman": "suleiman sulaiman suleyman soliman sleiman suliman",
    "ismail": "ismael esmail ismaeel",
    "yasir": "yasser yaser",
    "nasir": "nasser naser nassir",
    "zayd": "zaid zeid zayed",
    "said": "saeed saied saiid sayeed",
    "jafar": "jaafar jaffar djafar",
    "qasim": "qassim kasim kassem qassem kasem qasem",
    "mansur": "mansour",
    "faysal": "faisal feisal",
    "jamal": "gamal",
    "abubakr": "abubakar abubaker",
    "qadhafi": "gaddafi qaddafi kadhafi gadhafi kadafi",
    "aleksandr": "alexander aleksander alexandr oleksandr",
    "aleksey": "alexei aleksei alexey oleksiy",
    "sergey": "sergei serguei serhiy",
    "yuriy": "yuri yury iurii yurii",
    "dmitriy": "dmitri dmitry",
    "yevgeniy": "evgeny evgeniy yevgeny evgenii yevgeni",
    "andrey": "andrei andriy",
    "nikolay": "nikolai mykola",
    "vladimir": "wladimir volodymyr",
    "mikhail": "mykhailo",
    "grigoriy": "grigory grigori",
    "vasiliy": "vasily vasili vassily",
    "anatoliy": "anatoly anatoli",
    "valeriy": "valery valeri",
    "gennadiy": "gennady gennadi",
}
VARIANTS = {variant: canonical for canonical, group in _VARIANT_GROUPS.items() for variant in group.split()}
_ABD_PREFIXES = ("abdul", "abdel", "abdal", "abdoul", "abdur", "abdol", "abd")

_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bb\u02bc\u02be\u02bf\u00b4]")
_DOTTED = re.compile(r"\b([a-z])\.(?=[a-z]\b)")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,4}$")


def transliterate(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    compact = name.replace(" ", "")
    if _CJK.match(compact):  # e.g. 王秀英: surname, then the given name as one token
        return f"{anyascii(compact[0])} {anyascii(compact[1:])}"
    return anyascii(name)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """A light phonetic form: the spellings of one sound become one."""
    if token.isdigit():
        return token
    token = token.replace("ph", "f").replace("ck", "k").replace("q", "k")
    token = token[:1] + token[1:].replace("y", "i")  # Aly/Ali, Kym/Kim; not Yusuf
    out = []
    for char in token:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)


@lru_cache(maxsize=200_000)
def canonical(token: str) -> tuple[str, ...]:
    """One raw token → its canonical token(s): a variant's one spelling, or abd + the rest
    of a compound (Abdulrahman → abd rahman, as Abdul Rahman and Abd al-Rahman)."""
    if token in VARIANTS:
        return (VARIANTS[token],)
    for prefix in _ABD_PREFIXES:
        if token == prefix:
            return ("abd",)
        rest = token[len(prefix) :]
        if token.startswith(prefix) and len(rest) >= 4 and prefix != "abd":
            rest = rest[2:] if rest[:2] in ("al", "ul", "ur", "ar", "as", "an") and len(rest) >= 6 else rest
            return ("abd", VARIANTS.get(rest, rest))
    return (token,)


def raw_tokens(name: str) -> list[str]:
    text = transliterate(name).lower()
    text = _APOSTROPHES.sub("", text)
    text = _DOTTED.sub(r"\1", text)
    text = _DOTTED.sub(r"\1", text)  # overlapping: s.a.r.l
    tokens = _SEPARATORS.sub(" ", text).split()
    joined: list[str] = []
    run = ""
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run += token
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(token)
    if run:
        joined.append(run)
    return joined


def _noise(token: str) -> bool:
    """An honorific, a legal form or an article (also spelt with a doubled letter: LTDAA)."""
    return any(form in HONORIFICS or form in LEGAL_FORMS or form in ARTICLES for form in (token, skeleton(token)))


def _join_spaced_forms(raw: list[str]) -> list[str]:
    """Short pieces that together spell a legal form ("S.AA.S.", "SS.R.O.") become it."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        end = i
        while end < len(raw) and len(raw[end]) <= 2 and raw[end].isalpha():
            end += 1
        for stop in range(end, i + 1, -1):
            joined = "".join(raw[i:stop])
            if _noise(joined):
                out.append(joined)
                i = stop
                break
        else:
            out.append(raw[i])
            i += 1
    return out


@lru_cache(maxsize=200_000)
def token_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """(canonical, as written) per token: the canonical form is indexed and compared; the
    form as written is compared too, so that a typo in a variant spelling ("Hussien")
    still meets the listed spelling."""
    raw = _join_spaced_forms(raw_tokens(name))
    kept = [t for t in raw if not _noise(t)]
    if not kept:
        kept = [t for t in raw if t not in ARTICLES] or raw
    out: list[tuple[str, str]] = []
    for token in kept:
        parts = canonical(token)
        out.extend((skeleton(part), token if len(parts) == 1 else part) for part in parts)
    return tuple(out)


COMPANY_ENDINGS = frozenset({"sons", "brothers", "bros", "inkorporeyted", "grupp"})  # and Russian ones


@lru_cache(maxsize=200_000)
def company_style(name: str) -> bool:
    """A company's name: two words or more, the last a legal form ("Ramos Group", "Haas LLC",
    "Acme S.A.", "Smith and Sons"), which a person's name does not end with."""
    raw = _join_spaced_forms(raw_tokens(name))
    if len(raw) < 2:
        return False
    last = raw[-1]
    if len(last) <= 2:
        # Two letters end a person's name too ("GHALI, Iyad ag", "... Listed As", "MUJEL,
        # A.S."): a company's only when written with dots or a slash ("S.A.", "S/A").
        written = name.split()[-1] if name.split() else ""
        return "," not in name and last in LEGAL_FORMS and any(c in written for c in "./")
    return last in COMPANY_ENDINGS or last in LEGAL_FORMS


def tokens(name: str) -> tuple[str, ...]:
    """The comparable tokens of a name (order kept, for display; matching ignores it)."""
    return tuple(canon for canon, _ in token_pairs(name))


_PARTICLE_FORMS = frozenset(skeleton(p) for p in PARTICLES)


_LONG_LEGAL_FORMS = tuple(skeleton(t) for t in sorted(LEGAL_FORMS) if len(t) >= 4)
_LONG_HONORIFICS = tuple(skeleton(t) for t in sorted(HONORIFICS) if len(t) >= 4)


@lru_cache(maxsize=200_000)
def weight(token: str) -> float:
    """Particles and initials say less about who someone is than a name does; so does a
    misspelt legal form or honorific ("COMPBNY", "Sheihk"), which was not dropped."""
    if token in _PARTICLE_FORMS:
        return 0.5
    if len(token) == 1:
        return 0.3
    if len(token) >= 4:
        scorer = JaroWinkler.normalized_similarity
        if process.extractOne(token, _LONG_LEGAL_FORMS, scorer=scorer, score_cutoff=0.85) is not None or (
            process.extractOne(token, _LONG_LEGAL_FORMS, scorer=OSA.distance, score_cutoff=1) is not None
        ):
            return 0.05  # "LIMIETD", "CMOPANY", "EOJOD" (one edit from EOOD): next to nothing
        if process.extractOne(token, _LONG_HONORIFICS, scorer=scorer, score_cutoff=0.85) is not None:
            return 0.2  # "Shiekh", but also a name such as Iman (~ imam): kept, weighing little
    return 1.0
