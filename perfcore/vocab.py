"""The evaluation's shared vocabulary and the limits on what comes in, in one place.

Words an office could put differently in its scheme (which statuses count, amounts, grades)
live in the scheme; these are the words every office's tables share, and the bounds that
keep a mistyped or hostile file from being taken at face value.
"""
from __future__ import annotations

# Record status (状态) through the year: 草稿 → 已核实 → 已审定, 申诉中 while appealed, 已撤销 when revoked.
STATUSES = ("草稿", "已核实", "已审定", "申诉中", "已撤销")
REVOKED = "已撤销"
DEFAULT_STATUS = "已审定"
DEFAULT_COUNTED = ("已核实", "已审定", "申诉中")

# Who found a problem or gave an award (来源层级), highest first.
SOURCE_LEVELS = ("国家", "中央", "省", "自治区", "兵团", "市", "师", "区", "县", "本级", "自查", "媒体")
DEFAULT_SOURCE_LEVEL = "区"

# How a mitigation (减免) applies: the office's words and the engine's.
MITIGATION_MODES = {"免予": "exempt", "免予扣分": "exempt", "exempt": "exempt",
                    "减轻": "reduce", "减轻扣分": "reduce", "reduce": "reduce"}
MITIGATION_WORDS = {"exempt": "免予", "reduce": "减轻"}
MITIGATION_EN = {"exempt": "exempt", "reduce": "reduced"}

# Reporting periods of the progress table (工作进度表) and the share of the year's work
# expected by each (序时进度, in %).
PERIODS = {"一季度": 25.0, "上半年": 50.0, "前三季度": 75.0, "全年": 100.0}
PERIOD_EN = {"一季度": "Q1", "上半年": "H1", "前三季度": "Q1–Q3", "全年": "Full year"}
# A unit is on track when at most this many points behind 序时进度, behind up to the second.
PROGRESS_ON_TRACK_GAP = -5.0
PROGRESS_BEHIND_GAP = -15.0

# Bounds on incoming data. A count (次数/人次) above MAX_COUNT is a typing error, not an event.
MAX_COUNT = 10_000
MAX_CELL_CHARS = 2_000
MAX_FILE_BYTES = 20 * 1024 * 1024            # an uploaded or imported file
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024    # a workbook's contents once unzipped (checked before parsing)
MAX_ROWS = 200_000
# What a scheme's bonuses (capped bonus pools, evaluations only some units have) may add on top of its
# scale before the weights are taken for a typing error (S0 10 on 100, S2 5 on 100, S3 tens on 1000).
MAX_BONUS_SHARE = 0.2
MAX_COLUMNS = 200

# Who signs in (角色), and what each may do is in perfcore.access.
ROLES = {"leader": ("领导", "Leader"), "office": ("效能办", "Evaluation office"),
         "collector": ("数据采集单位", "Data-collection unit"), "unit": ("被考评单位", "Evaluated unit")}
# Sign-in: after this many wrong passwords in a row an account is locked for LOCK_MINUTES; each
# wrong one before that waits a little longer (FAIL_DELAY_SECONDS doubled each time, at most 4 s).
MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15
FAIL_DELAY_SECONDS = 0.25
# A signed-in session ends after this long without a click (the office may set PERFCORE_IDLE_MINUTES).
IDLE_MINUTES = 30
MIN_PASSWORD_CHARS = 8

# Appeals (申诉): how the office decides one, and what the record becomes.
APPEAL_OPEN = "申诉中"
APPEAL_DECISIONS = {"upheld": ("维持", "Upheld"), "revoked": ("撤销", "Revoked"), "adjusted": ("调整", "Adjusted")}
APPEAL_STATUS_AFTER = {"upheld": "已审定", "adjusted": "已审定"}     # "revoked": the record is revoked
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# Early warning (预警): a unit is flagged when the forecast gives an outcome (the lowest grade, a worse grade
# than last year, a consecutive-years consequence again) at least this probability.
RISK_PROBABILITY = 0.25

# When each progress report (工作进度表) is due (month, day) in the evaluated year (R29, S4).
PERIOD_DUE = {"一季度": (3, 31), "上半年": (6, 30), "前三季度": (9, 30), "全年": (12, 31)}

# The people a consequence can name (R22, R27): the unit list's 主要领导 and 分管领导 columns, and the
# 当事人 of the unit's veto records (一票否决).
PEOPLE = {"主要领导": "principal leader", "分管领导": "leader in charge", "当事人": "people involved"}
