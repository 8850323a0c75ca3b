"""Make the shipped sample data: three organisations, written as the offices' own tables.

    python data/make_sample.py            # rewrites data/示例区, data/示例市妇联, data/示例市直机关

Deterministic (fixed seeds): the same files every run. People are placeholders
(王某 etc.); no real names from the seeds are used.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(["某", "某某"])


def write_csv(path: Path, header: list[str], rows: list[list]):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else (f"{v:g}" if isinstance(v, float) else v) for v in r])


def write_scheme(folder: Path, org: str, year: int):
    text = (HERE / "schemes" / f"{org}.toml").read_text(encoding="utf-8").replace("{year}", str(year))
    (folder / "考评方案.toml").write_text(text, encoding="utf-8")


def rand_date(rng, year, last_month=12):
    start = dt.date(year, 1, 5)
    end = dt.date(year, last_month, 28)
    return start + dt.timedelta(days=rng.randrange((end - start).days))


IND_HEADER = ["项目", "一级指标", "二级指标名称", "分值", "计分方式", "数据采集责任单位", "责任领导", "责任科室", "责任人", "可超分", "备注"]
UNIT_HEADER = ["单位", "系列", "层级", "上级单位", "主要领导", "分管领导", "起始年度", "终止年度"]
EVENT_HEADER = ["编号", "日期", "单位", "指标", "情形", "来源层级", "渠道", "次数", "标准分", "加重情形", "角色", "问责人次",
                "减免依据", "减免方式", "减免理由", "问题标识", "事项标识", "证据文号", "状态", "说明"]


def event_row(eid, date, unit, target, rule, level="区", channel="", count=1, amount=None, aggravation="", role="",
              accountable=0, code=None, mode="", reason="", problem="", matter="", evidence="", status="已审定", text=""):
    return [eid, date.isoformat(), unit, target, rule, level, channel, count, amount, aggravation, role, accountable,
            code, mode, reason, problem, matter, evidence, status, text]


# ---------------------------------------------------------------- 示例区 (S3 + S4)
DISTRICT_SERIES = {
    "党群系列": ["区委办", "区委组织部", "区委宣传部", "区委统战部", "区委政法委", "区纪委监委", "区总工会", "团区委", "区妇联", "区委编办"],
    "经济发展系列": ["区发改局", "区财政局", "区商务局", "区工信局", "区统计局", "区审计局", "区重大办", "区农业农村局", "区文旅局", "区科技局"],
    "社会管理系列": ["区教育局", "区卫健局", "区民政局", "区人社局", "区退役军人局", "区司法局", "区应急局", "区信访局", "区医保局", "区生态环境局", "区住建局", "区交通运输局"],
    "镇街系列": ["城东街道", "城西街道", "新港街道", "马山镇", "东湖镇", "南岭镇", "西坪镇", "新圩镇"],
}
NEW_IN_2023 = {"区数据管理局": "经济发展系列"}

DIFF = [("区委工作任务分解", 30, "区委办"), ("区政府工作任务分解", 30, "区政府办"),
        ("区委常委会会议议定事项跟踪落实情况", 25, "区委办"), ("区政府常务会会议议定事项跟踪落实情况", 25, "区政府办"),
        ("招商引资工作", 30, "区商务局"), ("主要经济指标评估情况", 30, "区重大办"),
        ("重大项目议定事项办结情况", 20, "区重大办"), ("生态环境保护成效", 20, "区生态环境局"),
        ("市对区绩效指标得分情况", 20, "区效能督查办"), ("人才工作完成情况", 20, "区委组织部"),
        ("统战工作完成情况", 20, "区委统战部"), ("两岸融合发展工作", 15, "区委台港澳办"),
        ("财政投融资项目决算完成情况", 15, "区财政局"), ("依法落实安全监管职责情况", 15, "区应急局"),
        ("保障农民工工资支付工作成效", 15, "区人社局"), ("禁毒工作", 15, "区禁毒办")]
COMMON = {
    "科学": [("精神文明建设", 30, "区委宣传部"), ("意识形态工作责任制成效", 20, "区委宣传部"),
           ("人大代表建议办理情况", 15, "区人大办"), ("政协委员提案办理情况", 15, "区政协办"),
           ("改革创新", 20, "区委改革办"), ("干部教育培训和监督管理工作情况", 20, "区委组织部"),
           ("社会信用体系建设", 20, "区发改局")],
    "依法": [("依法行政", 20, "区司法局"), ("党务公开、党内法规制度建设", 20, "区委办"),
           ("政府信息公开、政务公开、电子政务", 20, "区政府办"), ("行政事业单位预算管理", 20, "区财政局"),
           ("平安建设成效", 30, "区委政法委"), ("公共安全管理", 20, "区公共安全办"), ("信访事项依法化解率", 20, "区信访局"),
           ("部门协作", 15, "区委编办"), ("退役军人保障工作", 15, "区退役军人局"), ("审计结果及整改成效", 15, "区审计局")],
    "高效": [("区委督办件、交办件办理情况", 20, "区委办"), ("信息报送", 20, "区委办、区政府办"), ("区委文字综合工作", 20, "区委办"),
           ("档案工作", 15, "区档案局"), ("保密工作", 15, "区委机要保密局"), ("电子政务自主可控水平", 15, "区数据管理局"),
           ("公文处理", 20, "区委办、区政府办"), ("区政府督办件、交办件办理情况", 20, "区政府办"), ("值班值守情况", 15, "区总值班室"),
           ("政务服务效能", 20, "区审批局"), ("营商环境指数", 20, "区发改局"), ("机关效能建设", 20, "区效能督查办"),
           ("12345热线群众诉求办理情况", 20, "区政府办"), ("建设节约型机关", 10, "区机关事务管理局"),
           ("慢性病示范区建设工作", 10, "区卫健局")],
    "廉洁": [("落实全面从严治党主体责任", 20, "区委办"), ("严守党的纪律", 20, "区纪委监委"),
           ("落实中央八项规定精神，持之以恒纠正“四风”", 20, "区纪委监委")],
}


# S3: 区联合评估组在自评的基础上综合考评指标的完成及进步情况. In the sample one differentiated indicator is
# scored that way (R30): 累加制, its points shared between completion and improvement on last year.
PROGRESS_INDICATOR = "区委工作任务分解"
PROGRESS_ITEMS = ["重点任务1", "重点任务2", "重点任务3"]


def district_tasks(year: int, active: list, strength: dict, in_progress: bool) -> list:
    """Task items of the progress-scored indicator: target, actual and last year's actual (上年完成值).

    Drawn from a generator of their own, so the rest of the sample stays as it was."""
    rng = random.Random(7000 + year)
    rows = []
    for u in active:
        for item in PROGRESS_ITEMS:
            target = rng.choice([20, 40, 50, 80, 100, 120])
            done = min(1.25, max(0.5, 0.93 + 0.06 * strength[u] + rng.gauss(0, 0.04)))
            prior = None if rng.random() < 0.08 else round(target * min(1.2, max(0.5, done - rng.gauss(0.04, 0.07))), 1)
            actual = round(target * done * (0.75 if in_progress else 1.0), 1)
            rows.append([u, PROGRESS_INDICATOR, item, target, actual, prior, None])
    return rows


def district_indicators(year: int):
    """The year's table: S4's shape, changing a little between years as real tables do."""
    rows = []
    for name, pts, collector in DIFF:
        if name == "两岸融合发展工作" and year <= 2021:
            name = "对台交流合作工作"
        rows.append(("差异化指标（345分）", "", name, pts, "直接评分", collector))
    for first, items in COMMON.items():
        total = sum(p for _, p, _ in items)
        for name, pts, collector in items:
            if name == "慢性病示范区建设工作" and year <= 2022:
                name = "疫情防控工作"
            if name == "电子政务自主可控水平" and year >= 2025:
                name = "数字政府建设"
            rows.append(("共同性指标（655分）", f"{first}（{total}分）", name, pts, "扣分制", collector))
    return rows


INSPECTION_RULES = ["工作落实不力", "工作作风不扎实", "效能制度未落实", "服务质量差", "工作纪律散漫", "工作不规范"]
INSPECTION_TEXT = {
    "工作落实不力": ["区委交办的专项整治任务未按期完成", "需上级协调事项未及时报告", "整改措施不得力，问题反复出现"],
    "工作作风不扎实": ["群众诉求反馈答非所问", "对督查发现问题表面整改", "办事拖沓，推诿扯皮"],
    "效能制度未落实": ["首问负责制未落实", "限时办结制度执行不到位", "一次性告知制度未落实"],
    "服务质量差": ["便民服务热线工作时间无人接听", "窗口服务态度生硬被投诉", "群众办事多次往返"],
    "工作纪律散漫": ["工作时间脱岗", "窗口人员上班时间玩手机", "未落实同岗替代制"],
    "工作不规范": ["即办件未即时办结", "反馈材料缺项漏项", "投诉件办理超期"],
}
INDICATOR_RULES = [
    ("督办件逾期未办结", "区委督办件、交办件办理情况", "区委督办件逾期"), ("督办件逾期未办结", "区政府督办件、交办件办理情况", "区政府督办件逾期"),
    ("信息报送未按时", "信息报送", "政务信息报送逾期"), ("公文差错被通报", "公文处理", "公文格式差错被通报"),
    ("值班脱岗漏岗", "值班值守情况", "节假日值班人员脱岗"), ("12345诉求超期办理", "12345热线群众诉求办理情况", "诉求件超期办理"),
    ("12345诉求不满意", "12345热线群众诉求办理情况", "诉求人回访不满意"), ("信访事项化解不力", "信访事项依法化解率", "信访积案化解不力"),
    ("保密检查发现问题", "保密工作", "保密检查发现非涉密计算机存储敏感信息"), ("档案管理不规范", "档案工作", "文书档案归档不规范"),
    ("建议提案办理超期", "人大代表建议办理情况", "代表建议答复超期"), ("建议提案办理超期", "政协委员提案办理情况", "委员提案答复超期"),
    ("审计发现问题未整改", "审计结果及整改成效", "审计发现问题整改不到位"), ("机关效能建设工作不到位", "机关效能建设", "效能建设台账不完整"),
]
INCENTIVES = [("受中共中央国务院表彰", 1), ("获国家领导人批示肯定", 1), ("全国性会议典型发言", 2), ("全国排名前5位", 3),
              ("省级创新评选前三名", 4), ("区主要领导书面肯定", 10)]


def make_district(root: Path):
    rng = random.Random(20200101)
    org = "示例区"
    folder = root / org
    units, series_of = [], {}
    for series, names in DISTRICT_SERIES.items():
        for n in names:
            units.append([n, series, "区直部门" if series != "镇街系列" else "镇街", "", person(rng), person(rng), 2020, None])
            series_of[n] = series
    for n, s in NEW_IN_2023.items():
        units.append([n, s, "区直部门", "", person(rng), person(rng), 2023, None])
        series_of[n] = s
    write_csv(folder / "单位名单.csv", UNIT_HEADER, units)
    strength = {u[0]: rng.gauss(0, 1) for u in units}   # persistent quality, so ranks move plausibly
    for year in range(2020, 2027):
        ydir = folder / str(year)
        ydir.mkdir(parents=True, exist_ok=True)
        write_scheme(ydir, org, year)
        in_progress = year == 2026
        table = district_indicators(year)
        leaders = [person(rng) for _ in range(3)]
        write_csv(ydir / "指标任务分解表.csv", IND_HEADER, [
            [cat, first, name, pts, "累加制" if name == PROGRESS_INDICATOR else mode, collector, rng.choice(leaders),
             rng.choice(["综合组", "业务组", "办公室"]),
             "根据项目另行确定" if rng.random() < 0.1 else person(rng),
             "是" if name == "机关效能建设" else "", "效能问责加分可超出分值（附件3 五.3）" if name == "机关效能建设" else ""]
            for cat, first, name, pts, mode, collector in table])
        active = [u[0] for u in units if u[6] <= year]
        for u in active:   # yearly drift
            strength[u] += rng.gauss(0, 0.35)
        # direct scores for 差异化 indicators (not yet given in the year in progress)
        scores = []
        if not in_progress:
            for u in active:
                for cat, first, name, pts, mode, collector in table:
                    if mode != "直接评分":
                        continue
                    share = min(1.0, max(0.55, 0.86 + 0.035 * strength[u] + rng.gauss(0, 0.04)))
                    if name != PROGRESS_INDICATOR:   # scored from its task items instead (R30)
                        scores.append([u, name, round(pts * share, 1), collector])
        write_csv(ydir / "指标评分.csv", ["单位", "指标", "得分", "评分单位"], scores)
        write_csv(ydir / "指标任务.csv", ["单位", "指标", "任务项", "目标值", "完成值", "上年完成值", "序时进度"],
                  district_tasks(year, active, strength, in_progress))
        # evaluations: public evaluation (0-100) and city incentive
        evals = []
        if not in_progress:
            for u in active:
                evals.append([u, "公众评议", "", round(min(99.0, 83 + 3.5 * strength[u] + rng.gauss(0, 2.5)), 2), 100])
                if rng.random() < 0.3:
                    evals.append([u, "市对区激励", "", rng.choice([2, 3, 5, 8, 10]), None])
        write_csv(ydir / "评议得分.csv", ["单位", "类别", "项目", "得分", "满分"], evals)
        events, n = [], 0
        last_month = 10 if in_progress else 12
        names = [r[2] for r in table]

        def eid():
            nonlocal n
            n += 1
            return f"{year}-{n:04d}"
        for u in active:
            weak = max(0.2, 1.0 - 0.35 * strength[u])
            for _ in range(rng.randint(3, 7) if not in_progress else rng.randint(2, 5)):
                rule, target, text = rng.choice(INDICATOR_RULES)
                target = target if target in names else "公文处理"
                count = rng.choice([1, 1, 1, 2, 3])
                status = "已审定" if not in_progress or rng.random() < 0.8 else rng.choice(["已核实", "草稿"])
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, target, rule, "区",
                                        rng.choice(["数据采集单位通报", "系统监测"]), count, status=status,
                                        evidence=f"示{rng.choice(['效', '督', '办'])}〔{year}〕{rng.randint(1, 90)}号", text=text))
            if rng.random() < 0.35 * weak:
                target = rng.choice([t for t in names if t in {"依法行政", "改革创新", "政务服务效能", "营商环境指数", "精神文明建设"}])
                amt = rng.choice([1, 2, 3, 5])
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, target, "指标任务未完成", "区", "年度评估", 1, amt,
                                        evidence=f"示考〔{year}〕{rng.randint(1, 40)}号", text=f"{target}年度任务完成{rng.randint(60, 90)}%，酌情扣{amt}分"))
            # inspection pool (察访核验), from every level
            for _ in range(rng.choices([0, 1, 2, 3], weights=[3, 4, 2 * weak, 1 * weak])[0]):
                rule = rng.choice(INSPECTION_RULES)
                level = rng.choices(["区", "市", "省", "国家"], weights=[10, 4, 1.5, 0.3])[0]
                acc = rng.choice([0, 0, 0, 1, 2]) if level == "区" else 0
                agg = rng.choice(["", "", "", "", "整改不到位", "久拖不决"])
                problem = f"{u}-{year}-P{rng.randint(1, 99)}"
                code = mode = reason = None
                if rng.random() < 0.12:
                    code = rng.choice([2, 5, 7, 10])
                    mode = "减轻" if code in (7, 10) else "免予"
                    reason = {2: "因上级审批调整导致项目滞后，已提供批复文件", 5: "诉求不符合政策规定，已耐心疏导",
                              7: "已于一周内整改到位，效果良好", 10: "情节轻微，单位已作合理说明"}[code]
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, "察访核验", rule, level,
                                        rng.choice(["明察暗访", "效能督查", "投诉查处", "专项检查"]), 1, aggravation=agg,
                                        accountable=acc, code=code, mode=mode, reason=reason, problem=problem,
                                        evidence=f"{'示' if level == '区' else level}效督〔{year}〕{rng.randint(1, 60)}号",
                                        text=rng.choice(INSPECTION_TEXT[rule])))
                if rng.random() < 0.15:   # the same problem found again under another standard
                    other = rng.choice([r for r in INSPECTION_RULES if r != rule])
                    events.append(event_row(eid(), rand_date(rng, year, last_month), u, "察访核验", other, "区", "效能督查", 1,
                                            problem=problem, evidence=f"示效督〔{year}〕{rng.randint(61, 99)}号",
                                            text="同一问题按另一扣分标准再次记录"))
            if rng.random() < 0.12 * weak:   # already deducted inside an indicator: item 9 applies automatically
                problem = f"{u}-{year}-Q{rng.randint(1, 9)}"
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, "公文处理", "公文差错被通报", "区", "系统监测", 1,
                                        problem=problem, evidence=f"示办〔{year}〕{rng.randint(1, 50)}号", text="公文差错被通报"))
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, "察访核验", "工作不规范", "区", "效能督查", 1,
                                        problem=problem, evidence=f"示效督〔{year}〕{rng.randint(1, 60)}号", text="同一公文差错在察访核验中发现"))
            if rng.random() < 0.25:   # own inspections with accountability: +1 per person, capped at 10
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, "机关效能建设", "自行察访核验问责", "本级", "自查",
                                        rng.choice([1, 2, 3, 4, 6, 8, 11]), accountable=1,
                                        evidence=f"{u}效〔{year}〕{rng.randint(1, 9)}号", text="自行察访核验发现问题并效能问责"))
            if rng.random() < 0.02 * weak:
                rule = rng.choice(["媒体曝光经查属实", "干扰妨碍督查"])
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, "察访核验", rule, "市", "媒体", 1,
                                        evidence=f"市效督〔{year}〕{rng.randint(1, 30)}号", text="经查属实"))
            # positive incentives; some matters recognised at several levels
            for _ in range(rng.choices([0, 1, 2], weights=[5, 3, 1 + max(0, strength[u])])[0]):
                rule = rng.choices([r for r, _ in INCENTIVES], weights=[w for _, w in INCENTIVES])[0]
                matter = f"{u}-{year}-M{rng.randint(1, 5)}"
                events.append(event_row(eid(), rand_date(rng, year, last_month), u, "正向激励", rule,
                                        rng.choice(["国家", "省", "市", "区"]), "表彰", 1, matter=matter,
                                        evidence=f"表彰文件〔{year}〕{rng.randint(1, 80)}号", text="工作成绩突出获肯定"))
        write_csv(ydir / "扣分台账.csv", EVENT_HEADER, events)
        vetoes = []
        if year in (2021, 2024):
            u = sorted(active)[rng.randrange(len(active))]
            vetoes.append([u, "较大以上安全生产责任事故" if year == 2021 else "在职人员参与集体上访",
                           dt.date(year, rng.randint(3, 10), rng.randint(1, 28)).isoformat(), "经区纪委监委调查核实", f"示纪〔{year}〕{rng.randint(1, 30)}号"])
        write_csv(ydir / "一票否决.csv", ["单位", "类别", "日期", "说明", "证据文号"], vetoes)
        # quarterly progress on the 差异化 indicators
        progress = []
        if year >= 2025:
            periods = ["一季度", "上半年", "前三季度"] + ([] if in_progress else ["全年"])
            for u in active:
                for cat, first, name, pts, mode, collector in table:
                    if mode != "直接评分":
                        continue
                    pace = min(1.15, max(0.45, 0.95 + 0.08 * strength[u] + rng.gauss(0, 0.1)))
                    for k, period in enumerate(periods):
                        expected = 25 * (k + 1)
                        pct = round(min(100.0, expected * pace), 1)
                        behind = pct < expected - 5
                        progress.append([u, period, name, pct, f"{name}按计划推进，已完成{pct:g}%",
                                         "部分事项需上级协调，进度偏慢" if behind else "无",
                                         f"加强对接，{'10月底前' if k < 2 else '12月底前'}完成阶段任务" if behind else "按序时推进",
                                         person(rng), dt.date(year, 3 * (k + 1), 28).isoformat()])
        write_csv(ydir / "工作进度表.csv", ["填报组队", "报告期", "指标名称", "完成进度", "指标工作进展情况", "存在的问题",
                                         "下一步整改措施及完成时限", "填报人", "填报时间"], progress)


# ---------------------------------------------------------------- 示例市妇联 (S0)
FED_UNITS = ["办公室", "组织部", "宣传部", "权益部", "家庭和儿童工作部"]
FED_TABLE = [("", "", "绩效指标体系", 40, "机关效能办"), ("", "", "业务实绩", 10, "机关效能办"),
             ("", "公文办理（8分）", "公文草拟和审核", 4, "办公室"), ("", "公文办理（8分）", "领导批示、交办、督办事项", 4, "办公室"),
             ("", "", "协同办理事项", 4, "办公室"), ("", "", "信访诉求", 4, "权益部"),
             ("", "", "人大建议政协提案办理", 4, "办公室"), ("", "", "意识形态", 4, "组织部"),
             ("", "", "值班", 4, "办公室"), ("", "", "保密工作", 4, "办公室"),
             ("", "效能督查（8分）", "省、市效能督查", 4, "机关效能办"), ("", "效能督查（8分）", "本级效能督查", 4, "机关效能办")]
FED_RULES = [("交办督办事项未按时限办理反馈", "领导批示、交办、督办事项"), ("交办督办资料整理不齐全", "领导批示、交办、督办事项"),
             ("协助外单位办理未及时反馈", "协同办理事项"), ("内部协办未及时反馈", "协同办理事项"), ("推诿扯皮拖延办理", "协同办理事项"),
             ("群众诉求未及时接收交办反馈", "信访诉求"), ("服务态度不好被投诉属实", "信访诉求"),
             ("主办建议提案未及时答复", "人大建议政协提案办理"), ("会办建议提案未及时反馈", "人大建议政协提案办理"),
             ("提案人基本满意", "人大建议政协提案办理"), ("意识形态责任制未纳入总结述职", "意识形态"),
             ("值班脱岗漏岗", "值班"), ("值班信息未及时处置", "值班"), ("违反保密管理规定", "保密工作"),
             ("省市效能督查通报批评", "省、市效能督查"), ("省市效能督查通报表扬", "省、市效能督查"),
             ("无故迟到早退", "本级效能督查"), ("上班时间从事无关事项", "本级效能督查"), ("人员去向牌未及时调整", "本级效能督查"),
             ("主观原因未完成任务或议定事项", "本级效能督查"), ("被市公文错情通报", "公文草拟和审核")]
FED_INCENTIVES = ["中央和国家部委肯定", "省委省政府主要领导肯定", "市委市政府主要领导肯定", "全国典型介绍交流", "主流媒体刊登转载",
                  "单项工作全国前三或全省第一"]


def make_federation(root: Path):
    rng = random.Random(20220101)
    org = "示例市妇联"
    folder = root / org
    write_csv(folder / "单位名单.csv", UNIT_HEADER,
              [[u, "部室", "部室", "示例市妇联", person(rng), person(rng), 2022, None] for u in FED_UNITS])
    weak = {"办公室": 0.8, "组织部": 1.0, "宣传部": 1.1, "权益部": 1.6, "家庭和儿童工作部": 1.3}
    for year in range(2022, 2026):
        ydir = folder / str(year)
        ydir.mkdir(parents=True, exist_ok=True)
        write_scheme(ydir, org, year)
        write_csv(ydir / "指标任务分解表.csv", IND_HEADER,
                  [[c, f, n, p, "", col, person(rng), col, person(rng), "", ""] for c, f, n, p, col in FED_TABLE])
        # assignments: city indicators carried (22 over 5 sections), and internal business targets
        assign = []
        carried = {"办公室": 7, "组织部": 4, "宣传部": 4, "权益部": 4, "家庭和儿童工作部": 3}
        for u, k in carried.items():
            for i in range(k):
                assign.append([u, "绩效指标体系", f"市级绩效指标{i + 1}", None, None, None])
        for u in FED_UNITS:
            for i in range(rng.randint(2, 4)):
                target = rng.choice([10, 12, 20, 50, 100])
                ratio = rng.choice([0.4, 0.75, 0.85, 0.95, 1.0, 1.02, 1.1, 1.2, 1.35]) / (1 if weak[u] < 1.2 else 1.1)
                assign.append([u, "业务实绩", f"业务任务{i + 1}", target, round(target * ratio, 1), None])
        write_csv(ydir / "指标任务.csv", ["单位", "指标", "任务项", "目标值", "完成值", "序时进度"], assign)
        events, n = [], 0

        def eid():
            nonlocal n
            n += 1
            return f"F{year}-{n:03d}"
        for u in FED_UNITS:
            for _ in range(int(rng.randint(4, 9) * weak[u])):
                rule, target = rng.choice(FED_RULES)
                events.append(event_row(eid(), rand_date(rng, year), u, target, rule, "本级", "机关效能办", rng.choice([1, 1, 2]),
                                        evidence=f"示妇效〔{year}〕{rng.randint(1, 40)}号", text=rule))
            for _ in range(rng.randint(0, 2)):
                amt = rng.choice([0.1, 0.2, 0.3, 0.5])
                events.append(event_row(eid(), rand_date(rng, year), u, "绩效指标体系", "未完成市级绩效指标任务", "市", "市绩效管理系统", 1, amt,
                                        evidence=f"市绩效系统扣分通知〔{year}〕", text=f"市绩效管理系统扣分，按完成情况酌情扣{amt:g}分"))
            errors = rng.choice([0, 3, 6, 8])
            if errors:
                events.append(event_row(eid(), rand_date(rng, year), u, "公文草拟和审核", "公文文种格式错字错词", "本级", "办公室审核",
                                        errors, role="牵头部室", text=f"草拟公文出现文种、格式、错字错词{errors}处"))
                co = rng.choice([x for x in FED_UNITS if x != u])
                events.append(event_row(eid(), rand_date(rng, year), co, "公文草拟和审核", "公文文种格式错字错词", "本级", "办公室审核",
                                        errors, role="会稿部室", text=f"会稿公文出现差错{errors}处（会稿部室减半）"))
            for _ in range(rng.choices([0, 1, 2], weights=[5, 3, 1])[0]):
                matter = f"{u}-{year}-M{rng.randint(1, 3)}"
                events.append(event_row(eid(), rand_date(rng, year), u, "正向激励", rng.choice(FED_INCENTIVES), rng.choice(["国家", "省", "市"]),
                                        "表彰", 1, matter=matter, evidence=f"表彰文件〔{year}〕{rng.randint(1, 40)}号", text="工作成绩突出"))
        if year == 2024:
            events.append(event_row(eid(), dt.date(2024, 6, 12), "权益部", "保密工作", "发生失泄密事件", "市", "保密检查", 1,
                                    evidence="示保〔2024〕3号", text="内部敏感资料经互联网传输造成泄密"))
            # three confirmed complaints: 权益部 ends the year lowest and below 80, so its head cannot be
            # rated excellent (S0 四.3, R27)
            events.append(event_row(eid(), dt.date(2024, 9, 3), "权益部", "信访诉求", "服务态度不好被投诉属实", "本级", "12345热线", 3,
                                    evidence="示妇效〔2024〕41号", text="来电群众反映接待人员态度生硬，经查属实（3人次）"))
        write_csv(ydir / "扣分台账.csv", EVENT_HEADER, events)


# ---------------------------------------------------------------- 示例市直机关 (S2)
CITY_SERIES = {
    "党委工作部门": ["纪委监察局", "市委办公室", "市委组织部", "市委宣传部", "市委统战部", "市委政法委", "市委政研室", "市委编办", "市委机要局"],
    "政府工作部门": ["发改委", "国资委", "科技局", "财政局", "交通局", "水利局", "农业局", "商务局", "审计局", "统计局", "教育局",
               "民政局", "人社局", "卫生局", "司法局", "公安局"],
    "人大政协机关": ["人大机关", "政协机关"],
    "群团单位": ["工会", "团委", "文联", "残联", "工商联"],
}
CITY_TABLE = {
    "素质提升—学习型（10分）": [("落实学习领导责任制", 2), ("学习计划考勤记录", 2), ("创新学习形式", 3), ("调研报告和学习体会", 3)],
    "实践创新—敬业型（35分）": [("制定职能绩效目标", 5), ("贯彻落实上级重大决策部署", 20), ("绩效管理工作组织", 5), ("严格依法行政", 3), ("推进电子政务", 2)],
    "作风严谨—服务型（20分）": [("规范行政审批提高效率", 5), ("履行岗位职责严格考勤", 5), ("投诉举报处理", 5), ("扶贫帮困", 3), ("调查研究与合理化建议", 2)],
    "文明健康—和谐型（10分）": [("精神文明建设", 3), ("文体活动", 5), ("落实休假和体检制度", 2)],
    "先锋模范—榜样型（5分）": [("支部工作责任制", 1), ("支部班子建设", 1), ("三会一课和组织生活", 2), ("创先争优", 1)],
    "风清气正—廉政型（10分）": [("落实党风廉政责任制", 2), ("廉洁自律", 2), ("政务党务公开", 2), ("绩效考评制度", 2), ("责任追究制度", 2)],
}
CITY_DEDUCTIONS = [("察访核验发现问题", 8), ("投诉查处属实", 5), ("绿化环卫未完成被通报批评", 3), ("机关活动缺勤", 8),
                   ("被领导小组专项通报批评", 0.6), ("经费管理违规", 0.4), ("工作人员违法违纪", 0.2), ("违反计生综治保密安全规定", 0.3)]
CITY_BONUS = [("国家级表彰", 1), ("自治区兵团级表彰", 2), ("师级表彰", 4), ("工作突出成绩经批准加分", 2), ("兵团级以上报刊发表理论文章", 2)]
LEADER_ASPECTS = ["领导班子建设", "完成业务工作", "部门工作作风", "执行力", "改革创新"]


def make_city(root: Path):
    rng = random.Random(20230101)
    org = "示例市直机关"
    folder = root / org
    units = [[u, s, "市直部门", "", person(rng), person(rng), 2023, None] for s, us in CITY_SERIES.items() for u in us]
    write_csv(folder / "单位名单.csv", UNIT_HEADER, units)
    strength = {u[0]: rng.gauss(0, 1) for u in units}
    for year in range(2023, 2026):
        ydir = folder / str(year)
        ydir.mkdir(parents=True, exist_ok=True)
        write_scheme(ydir, org, year)
        write_csv(ydir / "指标任务分解表.csv", IND_HEADER,
                  [["", sec, name, pts, "直接评分", "集中考评组", "", "", "", "", ""] for sec, items in CITY_TABLE.items() for name, pts in items])
        scores, evals, events, n = [], [], [], 0
        for u, *_ in units:
            strength[u] += rng.gauss(0, 0.3)
            for sec, items in CITY_TABLE.items():
                for name, pts in items:
                    share = min(1.0, max(0.5, 0.92 + 0.03 * strength[u] + rng.gauss(0, 0.04)))
                    scores.append([u, name, round(pts * share, 1), "集中考评组"])
            evals.append([u, "基层和群众评议", "问卷调查", round(min(3.0, 2.6 + 0.1 * strength[u] + rng.gauss(0, 0.1)), 2), 3])
            evals.append([u, "基层和群众评议", "基层领导评议", round(min(2.0, 1.75 + 0.08 * strength[u] + rng.gauss(0, 0.08)), 2), 2])
            for a in LEADER_ASPECTS:
                evals.append([u, "领导评价", a, round(min(1.0, 0.9 + 0.03 * strength[u] + rng.gauss(0, 0.03)), 2), 1])
            for rule, rate in CITY_DEDUCTIONS:
                for _ in range(sum(rng.random() < rate / 10 * (1.2 - 0.2 * strength[u]) for _ in range(3))):
                    n += 1
                    events.append(event_row(f"C{year}-{n:04d}", rand_date(rng, year), u, "扣分", rule,
                                            rng.choice(["市", "市", "师"]), rng.choice(["察访核验", "投诉查处", "通报"]), 1,
                                            evidence=f"示绩办〔{year}〕{rng.randint(1, 60)}号", text=rule))
            for rule, rate in CITY_BONUS:
                if rng.random() < rate / 12 * (1 + 0.3 * strength[u]):
                    n += 1
                    events.append(event_row(f"C{year}-{n:04d}", rand_date(rng, year), u, "特别加分", rule, "市", "表彰", 1,
                                            matter=f"{u}-{year}-M{rng.randint(1, 4)}", evidence=f"表彰文件〔{year}〕{rng.randint(1, 40)}号", text=rule))
        write_csv(ydir / "指标评分.csv", ["单位", "指标", "得分", "评分单位"], scores)
        write_csv(ydir / "评议得分.csv", ["单位", "类别", "项目", "得分", "满分"], evals)
        write_csv(ydir / "扣分台账.csv", EVENT_HEADER, events)
        vetoes = [["水利局", "安全生产", f"{year}-08-15", "工程施工发生较大安全生产责任事故", f"示安〔{year}〕7号", "孙某、周某某"]] \
            if year == 2024 else []
        write_csv(ydir / "一票否决.csv", ["单位", "类别", "日期", "说明", "证据文号", "当事人"], vetoes)


def main(root: Path = HERE):
    for org in ("示例区", "示例市妇联", "示例市直机关"):
        shutil.rmtree(root / org, ignore_errors=True)
    make_district(root)
    make_federation(root)
    make_city(root)
    print(f"sample data written under {root}")


if __name__ == "__main__":
    main()
