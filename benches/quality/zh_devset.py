#!/usr/bin/env python3
"""A Chinese CRM development set for the quality benchmark, written without
looking at crmwb's own sample generator: its own vocabularies, formats, typo
kinds and source schemas, on top of the `faker` package's zh_CN provider.

    python zh_devset.py --entities 1000 --seed 1 --out /work/devdata/zh

Three exports of one customer base, each in its own format:

  crm.csv       GB18030, the domain's integration-template headers
                (客户编号, 客户名称, 所属行业, 客户类型, 联系人, 联系方式, 客户地址, …);
                key column 客户编号
  tickets.xlsx  service tickets, other Chinese headers (工单编号, 客户简称, 报修人,
                联系电话, 所在省份, 所在城市, 区县, 详细地址, 问题描述, 提交时间, …);
                key column 工单编号
  signups.csv   UTF-8, event sign-ups with English-ish headers (Reg No., Last
                Name, First Name, Company, Mobile Phone, Email, Province, City,
                Signup Date, Lead Source, Sales Rep, …); key column Reg No.

and the ground truth:

  truth.csv           source,source_key,entity_id   (every row's true customer)
  hard_negatives.csv  entity_a,entity_b,kind         (distinct customers that
                      must never merge: same_brand_two_cities,
                      parent_subsidiary, shared_switchboard, shared_bookkeeper,
                      namesakes, near_names)
  field_truth.csv     source,source_key,field,value  (what a perfect import of
                      that row stores, in the domain's target fields; only
                      fields the row actually carries)
  sources.csv         source,file,key                (how to import each file)

Noise model: company names full / short / region in brackets / region
dropped / homophone typo / traditional character / dropped character /
stray spaces; person names with homophone typos; mobiles in many layouts,
+86 prefixes, full-width digits, landlines in the mobile column, two numbers
in one cell, changed numbers; landlines with and without area-code
punctuation and extensions; e-mails in mixed case; province and city short
or full, addresses with or without province, full-width digits; dates in six
layouts and as Excel date cells; missing fields everywhere; contacts with a
title in brackets; name placeholders (个人, 个人客户, 无) for persons.
"""
import argparse
import csv
import datetime as dt
import os
import random
import sys

# --- administrative divisions (own table: a subset of GB/T 2260 names) -------
# province (full, short), cities: (full, short, area code, districts)
DIVISIONS = [
    ("北京市", "北京", [("北京市", "北京", "010", ["海淀区", "朝阳区", "东城区", "丰台区"])]),
    ("上海市", "上海", [("上海市", "上海", "021", ["浦东新区", "徐汇区", "静安区", "闵行区"])]),
    ("天津市", "天津", [("天津市", "天津", "022", ["和平区", "南开区", "滨海新区"])]),
    ("重庆市", "重庆", [("重庆市", "重庆", "023", ["渝中区", "江北区", "沙坪坝区"])]),
    ("浙江省", "浙江", [("杭州市", "杭州", "0571", ["西湖区", "上城区", "滨江区", "余杭区"]),
                      ("宁波市", "宁波", "0574", ["海曙区", "鄞州区", "江北区"]),
                      ("温州市", "温州", "0577", ["鹿城区", "瓯海区"])]),
    ("江苏省", "江苏", [("南京市", "南京", "025", ["玄武区", "鼓楼区", "江宁区"]),
                      ("苏州市", "苏州", "0512", ["姑苏区", "吴中区", "相城区"])]),
    ("广东省", "广东", [("广州市", "广州", "020", ["天河区", "越秀区", "番禺区"]),
                      ("深圳市", "深圳", "0755", ["南山区", "福田区", "宝安区"])]),
    ("四川省", "四川", [("成都市", "成都", "028", ["武侯区", "锦江区", "金牛区", "青羊区"])]),
    ("湖北省", "湖北", [("武汉市", "武汉", "027", ["江汉区", "武昌区", "洪山区"])]),
    ("山东省", "山东", [("济南市", "济南", "0531", ["历下区", "市中区"]),
                      ("青岛市", "青岛", "0532", ["市南区", "崂山区", "黄岛区"])]),
    ("福建省", "福建", [("厦门市", "厦门", "0592", ["思明区", "湖里区"]),
                      ("福州市", "福州", "0591", ["鼓楼区", "台江区"])]),
    ("广西壮族自治区", "广西", [("南宁市", "南宁", "0771", ["青秀区", "兴宁区"])]),
    ("内蒙古自治区", "内蒙古", [("呼和浩特市", "呼和浩特", "0471", ["新城区", "赛罕区"])]),
    ("河南省", "河南", [("郑州市", "郑州", "0371", ["金水区", "二七区"])]),
    ("陕西省", "陕西", [("西安市", "西安", "029", ["雁塔区", "碑林区", "未央区"])]),
    ("湖南省", "湖南", [("长沙市", "长沙", "0731", ["岳麓区", "芙蓉区", "天心区"])]),
]
MUNICIPALITIES = {"北京市", "上海市", "天津市", "重庆市"}
PLACES = [(p, ps, c, cs, ac, ds) for p, ps, cities in DIVISIONS for c, cs, ac, ds in cities]

# --- company vocabulary (own) -------------------------------------------------
BRAND_CHARS = list("星澜晟博睿航嘉禾瑞康源泰恒鼎宏远达信诚丰华辰凯越安捷拓川润海朗卓银峰耀腾铭启汇德弘盛宇昊驰维智力"
                   "联创鑫茂祥云光明融合亿新科悦顺通邦万柏")
# industry word, GB/T 4754 section letter, label in the CRM's 所属行业 column
INDUSTRIES = [
    ("网络科技", "I", ["软件和信息技术服务", "互联网", "IT服务"]),
    ("信息技术", "I", ["软件和信息技术服务", "信息技术", "软件"]),
    ("智能装备", "C", ["制造业", "装备制造", "机械制造"]),
    ("精密机械", "C", ["制造业", "机械制造"]),
    ("新材料", "C", ["制造业", "材料"]),
    ("商贸", "F", ["批发和零售业", "批发零售", "贸易"]),
    ("供应链管理", "G", ["交通运输、仓储和邮政业", "物流", "物流运输"]),
    ("建设工程", "E", ["建筑业", "建筑工程"]),
    ("餐饮管理", "H", ["住宿和餐饮业", "餐饮"]),
    ("教育咨询", "P", ["教育", "教育培训"]),
    ("医疗器械", "F", ["批发和零售业", "医疗器械销售"]),
    ("文化传媒", "R", ["文化、体育和娱乐业", "传媒", "文化传媒"]),
    ("企业管理咨询", "L", ["租赁和商务服务业", "商务服务", "咨询"]),
    ("生物科技", "M", ["科学研究和技术服务业", "研发服务"]),
    ("置业", "K", ["房地产业", "房地产"]),
    ("农业发展", "A", ["农、林、牧、渔业", "农业"]),
]
LEGAL_FORMS = ["有限公司"] * 6 + ["股份有限公司", "有限责任公司"]

# homophones and near-homophones an input method produces (own list)
HOMOPHONES = {
    "科": "可", "技": "际", "信": "心", "华": "化", "达": "大", "通": "同", "明": "名", "伟": "玮",
    "军": "君", "丽": "莉", "芳": "方", "涛": "滔", "强": "墙", "磊": "垒", "敏": "民", "杰": "洁",
    "鑫": "新", "瑞": "锐", "恒": "衡", "源": "元", "泰": "太", "宏": "鸿", "嘉": "佳", "峰": "锋",
    "晨": "辰", "星": "兴", "辉": "晖", "智": "志", "博": "搏", "航": "杭", "禾": "和", "康": "慷",
    "鼎": "顶", "远": "园", "诚": "成", "丰": "风", "凯": "恺", "安": "按", "捷": "洁", "海": "还",
    "卓": "桌", "腾": "藤", "铭": "明", "启": "起", "汇": "会", "德": "得", "盛": "胜", "宇": "雨",
    "驰": "池", "维": "唯", "力": "立", "创": "闯", "茂": "贸", "祥": "翔", "云": "芸", "光": "广",
    "融": "容", "亿": "忆", "新": "欣", "悦": "越", "顺": "舜", "邦": "帮", "万": "湾", "娜": "那",
    "静": "净", "婷": "亭", "浩": "皓", "勇": "涌", "平": "萍", "刚": "钢", "红": "虹", "霞": "侠",
}
TRADITIONAL = {"华": "華", "东": "東", "国": "國", "电": "電", "网": "網", "贸": "貿", "业": "業",
               "门": "門", "龙": "龍", "发": "發", "张": "張", "陈": "陳", "刘": "劉", "杨": "楊",
               "黄": "黃", "赵": "趙", "吴": "吳", "马": "馬", "达": "達", "汇": "匯", "丰": "豐",
               "鸿": "鴻", "兴": "興", "联": "聯", "通": "通", "科": "科", "技": "技", "务": "務"}
TITLES = ["总经理", "经理", "采购经理", "技术总监", "财务", "行政主管", "老板", "IT负责人"]
STATUSES = ["潜在客户", "意向客户", "成交客户", "流失客户"]
STATUS_VARIANTS = {"潜在客户": ["潜在客户", "潜在"], "意向客户": ["意向客户", "意向"],
                   "成交客户": ["成交客户", "已成交"], "流失客户": ["流失客户", "已流失"]}
NEEDS = ["服务器采购", "ERP升级", "办公电脑批量采购", "网络改造", "年度维保", "云服务迁移", "安防监控",
         "数据中心建设", "软件定制开发", "培训服务", "打印设备租赁", "视频会议系统"]
ISSUES = ["打印机无法连接", "系统登录报错", "发票开具问题", "设备异响需上门", "账号密码重置", "网络频繁掉线",
          "软件升级失败", "退换货咨询", "安装调试预约", "数据导出异常"]
EVENTS = ["2023数字化转型峰会", "春季新品发布会", "华东区客户答谢会", "智能制造沙龙", "线上直播公开课",
          "年度合作伙伴大会"]
LEAD_SOURCES = ["官网", "展会", "线上直播", "朋友推荐", "百度推广", "微信公众号", "老客户转介绍"]
PLACEHOLDERS = ["个人", "个人客户", "无"]
COMMON_NAMES = ["王伟", "李娜", "张伟", "刘洋", "王芳", "李静", "张敏", "王磊"]


def nfkc_digits_fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in s)


class Gen:
    def __init__(self, seed, n):
        from faker import Faker
        self.r = random.Random(seed)
        self.f = Faker("zh_CN")
        self.f.seed_instance(seed)
        self.n = n
        self.used_cores = set()
        self.used_mobiles = set()
        self.used_landlines = set()
        self.used_emails = set()
        self.entities = []
        self.hard_negatives = []
        self.reps = [self.person_name() for _ in range(10)]       # sales reps (owners)
        self.agents = [self.person_name() for _ in range(6)]      # service desk (not owners)

    # --- attribute makers ---
    def person_name(self):
        return self.f.last_name() + self.f.first_name()

    def mobile(self):
        while True:
            m = self.r.choice(["13", "15", "17", "18", "19"]) + "".join(self.r.choice("0123456789") for _ in range(9))
            if m not in self.used_mobiles:
                self.used_mobiles.add(m)
                return m

    def landline(self, ac):
        while True:
            n = self.r.choice("2345678") + "".join(self.r.choice("0123456789") for _ in range(7))
            v = f"{ac}-{n}"
            if v not in self.used_landlines:
                self.used_landlines.add(v)
                return v

    def email(self, local=None, domain=None):
        while True:
            loc = local or self.f.user_name()
            dom = domain or self.r.choice(["163.com", "qq.com", "126.com", "sina.com", "foxmail.com", "aliyun.com"])
            e = f"{loc}@{dom}".lower()
            if e not in self.used_emails:
                self.used_emails.add(e)
                return e
            local = None

    def core(self, length=None):
        while True:
            if self.r.random() < 0.15:
                c = self.f.company_prefix()
            else:
                c = "".join(self.r.sample(BRAND_CHARS, length or self.r.choice([2, 2, 2, 3])))
            if c not in self.used_cores and len(c) >= 2:
                self.used_cores.add(c)
                return c

    def street(self):
        s = self.f.street_name()
        num = self.r.randint(1, 999)
        tail = self.r.choice(["", "", f"{self.r.randint(1, 30)}楼", f"{self.r.randint(1, 20)}栋{self.r.randint(101, 2808)}室",
                              f"{self.r.choice('ABCDE')}座{self.r.randint(2, 25)}层"])
        return f"{s}{num}号{tail}"

    def place(self, like=None):
        if like is not None:
            return like
        p = self.r.choice(PLACES)
        return {"province": p[0], "province_short": p[1], "city": p[2], "city_short": p[3], "area": p[4],
                "district": self.r.choice(p[5])}

    def date(self, start="-4y", end="today"):
        return self.f.date_between(start, end)

    # --- entities ---
    def company(self, core=None, place=None, industry=None, legal=None, name=None, landline=None, contact=None):
        pl = self.place(place)
        ind = industry or self.r.choice(INDUSTRIES)
        core = core or self.core()
        legal = legal or self.r.choice(LEGAL_FORMS)
        region = pl["city_short"]
        full = name or f"{region}{core}{ind[0]}{legal}"
        contact = contact or {"name": self.person_name(), "mobile": self.mobile(), "title": self.r.choice(TITLES)}
        second = {"name": self.person_name(), "mobile": self.mobile(), "title": self.r.choice(TITLES)}
        domain = None
        e = {
            "kind": "company", "name": full, "core": core, "industry_word": ind[0], "industry_code": ind[1],
            "industry_labels": ind[2], "legal": legal, "region": region,
            "short": core + ind[0][:2] if self.r.random() < 0.6 else core + ind[0],
            "contact": contact, "contact2": second,
            "landline": landline or self.landline(pl["area"]),
            "email": self.email(domain=domain) if self.r.random() < 0.8 else None,
            "place": pl, "street": self.street(),
            "owner": self.r.choice(self.reps), "status": self.r.choice(STATUSES),
            "priority": self.r.choice("高中低"), "needs": self.r.choice(NEEDS),
        }
        # people change numbers: an older mobile for some contacts
        if self.r.random() < 0.08:
            e["contact"]["old_mobile"] = self.mobile()
        return self.add(e)

    def person(self, name=None, place=None):
        pl = self.place(place)
        m = self.mobile()
        e = {
            "kind": "person", "name": name or self.person_name(), "mobile": m,
            "email": (self.email(local=m, domain=self.r.choice(["qq.com", "163.com"])) if self.r.random() < 0.3
                      else self.email()) if self.r.random() < 0.75 else None,
            "place": pl, "street": self.street(), "owner": self.r.choice(self.reps),
            "status": self.r.choice(STATUSES), "priority": self.r.choice("高中低"), "needs": self.r.choice(NEEDS),
        }
        if self.r.random() < 0.08:
            e["old_mobile"] = self.mobile()
        return self.add(e)

    def add(self, e):
        e["id"] = f"Z{len(self.entities) + 1:06d}"
        self.entities.append(e)
        return e

    def hard_negative_groups(self, budget):
        """Groups of distinct entities that look alike; about `budget` entities."""
        kinds = ["same_brand_two_cities", "parent_subsidiary", "shared_switchboard", "shared_bookkeeper",
                 "namesakes", "near_names"]
        made = 0
        i = 0
        while made < budget:
            kind = kinds[i % len(kinds)]
            i += 1
            if kind == "same_brand_two_cities":
                core = self.core()
                ind = self.r.choice(INDUSTRIES)
                p1, p2 = self.r.sample(PLACES, 2)
                a = self.company(core=core, industry=ind, legal="有限公司", place=self.place_of(p1))
                b = self.company(core=core, industry=ind, legal="有限公司", place=self.place_of(p2))
                group = [a, b]
            elif kind == "parent_subsidiary":
                core = self.core()
                ind = self.r.choice(INDUSTRIES)
                pl = self.place()
                parent = self.company(core=core, industry=ind, place=pl, name=f"{pl['city_short']}{core}集团有限公司")
                sub = self.company(core=core, industry=ind, place=pl,
                                   name=f"{core}{ind[0]}（{pl['city_short']}）有限公司")
                group = [parent, sub]
            elif kind == "shared_switchboard":
                pl = self.place()
                sw = self.landline(pl["area"])
                street = self.street()
                group = [self.company(place=dict(pl), landline=sw) for _ in range(self.r.choice([2, 3]))]
                for g in group:
                    g["street"] = street.split("号")[0] + f"号{self.r.randint(2, 30)}楼"
            elif kind == "shared_bookkeeper":
                keeper = {"name": self.person_name(), "mobile": self.mobile(), "title": "财务"}
                pl = self.place()
                group = [self.company(place=dict(pl), industry=self.r.choice(INDUSTRIES[5:8]), contact=dict(keeper))
                         for _ in range(self.r.choice([2, 3]))]
            elif kind == "namesakes":
                nm = self.r.choice(COMMON_NAMES)
                pl = self.place()
                group = [self.person(name=nm, place=dict(pl)) for _ in range(2)]
            else:  # near_names: brand one character apart, same city and trade
                c1 = self.core(2)
                alt = self.r.choice([ch for ch in BRAND_CHARS if ch not in c1])
                c2 = c1[0] + alt
                if c2 in self.used_cores:
                    continue
                self.used_cores.add(c2)
                ind = self.r.choice(INDUSTRIES)
                pl = self.place()
                group = [self.company(core=c1, industry=ind, place=dict(pl), legal="有限公司"),
                         self.company(core=c2, industry=ind, place=dict(pl), legal="有限公司")]
            for x in range(len(group)):
                for y in range(x + 1, len(group)):
                    self.hard_negatives.append((group[x]["id"], group[y]["id"], kind))
            for g in group:
                g["hard"] = kind
            made += len(group)

    def place_of(self, p):
        return {"province": p[0], "province_short": p[1], "city": p[2], "city_short": p[3], "area": p[4],
                "district": self.r.choice(p[5])}

    def build(self):
        self.hard_negative_groups(max(2, self.n * 8 // 100))
        while len(self.entities) < self.n:
            if self.r.random() < 0.65:
                self.company()
            else:
                self.person()


# --- formatting noise ----------------------------------------------------------
class Noise:
    def __init__(self, r):
        self.r = r

    def p(self, x):
        return self.r.random() < x

    def mobile(self, m):
        r = self.r.random()
        if r < 0.45:
            s = m
        elif r < 0.6:
            s = f"{m[:3]}-{m[3:7]}-{m[7:]}"
        elif r < 0.7:
            s = f"{m[:3]} {m[3:7]} {m[7:]}"
        elif r < 0.8:
            s = "+86 " + m
        elif r < 0.85:
            s = "+86-" + m
        elif r < 0.9:
            s = "(+86)" + m
        elif r < 0.94:
            s = "0086" + m
        else:
            s = m[:3] + "-" + m[3:]
        if self.p(0.06):
            s = nfkc_digits_fullwidth(s)
        return s

    def landline(self, l, ext=None):
        ac, n = l.split("-")
        r = self.r.random()
        if r < 0.45:
            s = f"{ac}-{n}"
        elif r < 0.6:
            s = f"({ac}){n}"
        elif r < 0.7:
            s = f"（{ac}）{n}"
        elif r < 0.8:
            s = f"{ac} {n}"
        elif r < 0.9:
            s = f"{ac}{n}"
        elif not ext:
            s = f"{ac}-{n[:4]}-{n[4:]}"
        else:
            s = f"{ac}-{n}"
        if ext:
            s += self.r.choice([f"转{ext}", f"-{ext}", f" 转 {ext}", f"-{ext}"])
        if self.p(0.05):
            s = nfkc_digits_fullwidth(s)
        return s

    def email(self, e):
        if self.p(0.15):
            loc, dom = e.split("@")
            e = loc.capitalize() + "@" + dom.upper() if self.p(0.5) else e.upper()
        if self.p(0.05):
            e = " " + e + " "
        return e

    def typo(self, s, trad=True):
        """One input-method error: homophone, traditional form, dropped or swapped character."""
        idx = [i for i, c in enumerate(s) if c in HOMOPHONES]
        r = self.r.random()
        if r < 0.6 and idx:
            i = self.r.choice(idx)
            return s[:i] + HOMOPHONES[s[i]] + s[i + 1:]
        tidx = [i for i, c in enumerate(s) if c in TRADITIONAL and TRADITIONAL[c] != c]
        if trad and r < 0.8 and tidx:
            i = self.r.choice(tidx)
            return s[:i] + TRADITIONAL[s[i]] + s[i + 1:]
        if len(s) >= 4:
            i = self.r.randrange(1, len(s) - 1)
            return s[:i] + s[i + 1] + s[i] + s[i + 2:] if self.p(0.5) else s[:i] + s[i + 1:]
        return s

    def date(self, d, excel_ok=False):
        if excel_ok and self.p(0.5):
            return dt.datetime(d.year, d.month, d.day, self.r.randint(8, 19), self.r.randint(0, 59))
        r = self.r.random()
        if r < 0.3:
            return d.isoformat()
        if r < 0.5:
            return f"{d.year}/{d.month}/{d.day}"
        if r < 0.65:
            return f"{d.year}年{d.month}月{d.day}日"
        if r < 0.75:
            return d.strftime("%Y%m%d")
        if r < 0.85:
            return f"{d.year}.{d.month:02d}.{d.day:02d}"
        return f"{d.year}-{d.month}-{d.day} {self.r.randint(8, 19)}:{self.r.randint(0, 59):02d}"


def full_address(pl, street):
    """The normalised address: province + city + district + the rest, a municipality once."""
    if pl["province"] in MUNICIPALITIES:
        return pl["province"] + pl["district"] + street
    return pl["province"] + pl["city"] + pl["district"] + street


class Writer:
    def __init__(self, g):
        self.g = g
        self.r = g.r
        self.n = Noise(g.r)
        self.rows = {"crm": [], "tickets": [], "signups": []}
        self.truth = []
        self.field_truth = []
        self.keys = {"crm": self.r.randint(100, 900), "tickets": self.r.randint(1000, 5000),
                     "signups": self.r.randint(1, 50)}

    def key(self, src):
        self.keys[src] += self.r.randint(1, 3)
        k = self.keys[src]
        return {"crm": f"KH{k:06d}", "tickets": f"GD2024{k:06d}", "signups": f"R{k:05d}"}[src]

    def expect(self, src, key, field, value):
        if value is None or value == "":
            return
        self.field_truth.append((src, key, field, value))

    def company_name_variant(self, e, allow_short=True):
        r = self.r.random()
        name = e["name"]
        if allow_short and r < 0.12 and e.get("hard") not in ("same_brand_two_cities", "parent_subsidiary"):
            name = e["short"]
        elif r < 0.2 and name.startswith(e["region"]) and "集团" not in name:
            name = f"{e['core']}{e['industry_word']}（{e['region']}）{e['legal']}"
        elif r < 0.26 and name.startswith(e["region"]) and not e.get("hard"):
            name = name[len(e["region"]):]
        if self.n.p(0.08) and not e.get("hard"):
            name = self.n.typo(name)
        if self.n.p(0.04):
            name = " " + name.replace("有限", " 有限") + " "
        return name

    def person_name_variant(self, name):
        if self.n.p(0.07):
            name = self.n.typo(name, trad=True)
        if self.n.p(0.05) and len(name) == 2:
            name = name[0] + "\u3000" + name[1]      # a full-width space between
        return name

    def addr_variant(self, pl, street):
        r = self.r.random()
        muni = pl["province"] in MUNICIPALITIES
        if r < 0.35:
            a = full_address(pl, street)
        elif r < 0.55:
            a = (pl["province"] if muni else pl["city"]) + pl["district"] + street
        elif r < 0.7:
            a = (pl["province_short"] if muni else pl["province_short"] + pl["city_short"]) + pl["district"] + street
        elif r < 0.85:
            a = (pl["city_short"]) + pl["district"] + street
        else:
            a = " ".join([pl["province"]] + ([] if muni else [pl["city"]]) + [pl["district"], street])
        if self.n.p(0.15):
            a = nfkc_digits_fullwidth(a)
        return a

    def phones_for(self, e):
        """The numbers a record gives: a mobile (maybe the old one), sometimes the landline."""
        if e["kind"] == "company":
            c = e["contact"]
            mob = c.get("old_mobile") if c.get("old_mobile") and self.n.p(0.5) else c["mobile"]
        else:
            mob = e.get("old_mobile") if e.get("old_mobile") and self.n.p(0.5) else e["mobile"]
        return mob

    # --- one record per source ---
    def crm(self, e):
        k = self.key("crm")
        pl = e["place"]
        row = {}
        if e["kind"] == "company":
            nm = self.company_name_variant(e)
            row["客户名称"] = nm
            self.expect("crm", k, "name", nm.strip())
            row["所属行业"] = self.r.choice(e["industry_labels"]) if self.n.p(0.85) else ""
            if row["所属行业"]:
                self.expect("crm", k, "industry_code", e["industry_code"])
            row["客户类型"] = self.r.choice(["企业客户", "企业", "公司", ""])
            c = e["contact"]
            cn = self.person_name_variant(c["name"])
            row["联系人"] = f"{cn}（{c['title']}）" if self.n.p(0.06) else cn
            self.expect("crm", k, "contact_name", cn.replace("\u3000", ""))
        else:
            placeholder = self.n.p(0.12)
            nm = self.person_name_variant(e["name"])
            row["客户名称"] = self.r.choice(PLACEHOLDERS) if placeholder else nm
            row["所属行业"] = ""
            row["客户类型"] = self.r.choice(["个人", "个人客户", "个人客户", ""])
            row["联系人"] = nm if placeholder or self.n.p(0.5) else ""
            self.expect("crm", k, "name", nm.replace("\u3000", ""))
        mob = self.phones_for(e)
        r = self.r.random()
        if e["kind"] == "company" and r < 0.15:
            row["联系方式"] = self.n.landline(e["landline"])
            self.expect("crm", k, "landline", e["landline"])
        elif e["kind"] == "company" and r < 0.27:
            row["联系方式"] = self.n.mobile(mob) + self.r.choice(["/", "；", ", ", " "]) + self.n.landline(e["landline"])
            self.expect("crm", k, "mobile", mob)
            self.expect("crm", k, "landline", e["landline"])
        elif r < 0.93:
            row["联系方式"] = self.n.mobile(mob)
            self.expect("crm", k, "mobile", mob)
        else:
            row["联系方式"] = ""
        if self.n.p(0.88):
            row["客户地址"] = self.addr_variant(pl, e["street"])
            self.expect_place("crm", k, pl, e["street"], district=True)
        else:
            row["客户地址"] = ""
        d1 = self.g.date("-4y", "-6M")
        d2 = self.g.date(d1, "today")
        row["首次接触时间"] = self.n.date(d1) if self.n.p(0.9) else ""
        row["最近跟进时间"] = self.n.date(d2) if self.n.p(0.85) else ""
        if row["首次接触时间"]:
            self.expect("crm", k, "first_contact", d1.isoformat())
        if row["最近跟进时间"]:
            self.expect("crm", k, "last_followup", d2.isoformat())
        who = e["contact"]["name"][0] if e["kind"] == "company" else e["name"][0]
        row["交往记录"] = f"{d2.isoformat()}，与{who}{self.r.choice(['总', '经理', '工'])}{self.r.choice(['电话沟通', '上门拜访', '微信联系'])}，{e['needs']}" if self.n.p(0.7) else ""
        row["客户需求"] = e["needs"] if self.n.p(0.7) else ""
        row["需求优先级"] = e["priority"] if self.n.p(0.8) else ""
        if row["需求优先级"]:
            self.expect("crm", k, "priority", e["priority"])
        owner = e["owner"] if self.n.p(0.85) else self.r.choice(self.g.reps)   # reassigned owner
        row["跟进负责人"] = (owner + " ") if self.n.p(0.05) else owner
        self.expect("crm", k, "owner", owner)
        st = e["status"]
        row["客户状态"] = self.r.choice(STATUS_VARIANTS[st]) if self.n.p(0.9) else ""
        if row["客户状态"]:
            self.expect("crm", k, "status", st)
        row["备注"] = self.r.choice(["", "", "待核实", "老客户", "重点跟进", "需报价"])
        row["客户编号"] = k
        self.emit("crm", k, e, row)

    def tickets(self, e):
        k = self.key("tickets")
        pl = e["place"]
        row = {"工单编号": k}
        if e["kind"] == "company":
            nm = e["short"] if self.n.p(0.6) and e.get("hard") not in ("same_brand_two_cities", "parent_subsidiary", "near_names") else self.company_name_variant(e, allow_short=False)
            row["客户简称"] = nm
            self.expect("tickets", k, "name", nm.strip())
            c = e["contact"] if self.n.p(0.6) else e["contact2"]   # the technical contact files tickets too
            cn = self.person_name_variant(c["name"])
            row["报修人"] = cn
            self.expect("tickets", k, "contact_name", cn.replace("\u3000", ""))
            r = self.r.random()
            if r < 0.5:
                ext = str(self.r.randint(800, 8999)) if self.n.p(0.15) else None
                row["联系电话"] = self.n.landline(e["landline"], ext=ext)
                self.expect("tickets", k, "landline", e["landline"] + (f"-{ext}" if ext else ""))
            elif r < 0.92:
                mob = c.get("old_mobile") if c.get("old_mobile") and self.n.p(0.5) else c["mobile"]
                row["联系电话"] = self.n.mobile(mob)
                self.expect("tickets", k, "mobile", mob)
            else:
                row["联系电话"] = ""
            em = e["email"] if c is e["contact"] else None
        else:
            nm = self.person_name_variant(e["name"])
            row["客户简称"] = nm
            row["报修人"] = nm if self.n.p(0.7) else ""
            self.expect("tickets", k, "name", nm.replace("\u3000", ""))
            mob = self.phones_for(e)
            row["联系电话"] = self.n.mobile(mob) if self.n.p(0.95) else ""
            if row["联系电话"]:
                self.expect("tickets", k, "mobile", mob)
            em = e["email"]
        row["邮箱"] = self.n.email(em) if em and self.n.p(0.5) else ""
        if row["邮箱"]:
            self.expect("tickets", k, "email", em)
        if self.n.p(0.85):
            muni = pl["province"] in MUNICIPALITIES
            row["所在省份"] = pl["province"] if self.n.p(0.5) else pl["province_short"]
            row["所在城市"] = pl["city"] if self.n.p(0.5) else pl["city_short"]
            row["区县"] = pl["district"] if self.n.p(0.8) else ""
            row["详细地址"] = (nfkc_digits_fullwidth(e["street"]) if self.n.p(0.1) else e["street"]) if self.n.p(0.85) else ""
            self.expect("tickets", k, "province", pl["province"])
            self.expect("tickets", k, "city", pl["city"])
            if row["区县"]:
                self.expect("tickets", k, "district", pl["district"])
                if row["详细地址"]:
                    self.expect("tickets", k, "address", full_address(pl, e["street"]))
            del muni
        else:
            row.update({"所在省份": "", "所在城市": "", "区县": "", "详细地址": ""})
        row["问题描述"] = self.r.choice(ISSUES)
        d = self.g.date("-2y", "today")
        row["提交时间"] = self.n.date(d, excel_ok=True)
        self.expect("tickets", k, "interaction_at", d.isoformat())
        row["处理人"] = self.r.choice(self.g.agents)
        row["状态"] = self.r.choice(["已关闭", "处理中", "待回访"])
        self.emit("tickets", k, e, row)

    def signups(self, e):
        k = self.key("signups")
        pl = e["place"]
        row = {"Reg No.": k}
        if e["kind"] == "company":
            c = e["contact"]
            nm = self.company_name_variant(e)
            row["Company"] = nm
            self.expect("signups", k, "name", nm.strip())
            cn = c["name"]
            if self.n.p(0.05):
                cn = self.n.typo(cn, trad=False)
            row["Last Name"], row["First Name"] = cn[0], cn[1:]
            self.expect("signups", k, "contact_name", cn)
            row["Job Title"] = c["title"]
            mob = c.get("old_mobile") if c.get("old_mobile") and self.n.p(0.5) else c["mobile"]
            em = e["email"]
        else:
            nm = e["name"]
            if self.n.p(0.05):
                nm = self.n.typo(nm, trad=False)
            row["Company"] = self.r.choice(["", "", "", "个人", "无", "-"])
            row["Last Name"], row["First Name"] = nm[0], nm[1:]
            self.expect("signups", k, "name", nm)
            row["Job Title"] = self.r.choice(["", "", "自由职业", "学生", "工程师"])
            mob = self.phones_for(e)
            em = e["email"]
        r = self.r.random()
        if e["kind"] == "company" and r < 0.08:
            row["Mobile Phone"] = self.n.landline(e["landline"])     # a landline in the mobile column
            self.expect("signups", k, "landline", e["landline"])
        elif r < 0.95:
            row["Mobile Phone"] = self.n.mobile(mob)
            self.expect("signups", k, "mobile", mob)
        else:
            row["Mobile Phone"] = ""
        row["Email"] = self.n.email(em) if em and self.n.p(0.8) else ""
        if row["Email"]:
            self.expect("signups", k, "email", em)
        row["Province"] = (pl["province_short"] if self.n.p(0.6) else pl["province"]) if self.n.p(0.8) else ""
        row["City"] = (pl["city_short"] if self.n.p(0.6) else pl["city"]) if self.n.p(0.85) else ""
        if row["Province"] or row["City"]:
            self.expect("signups", k, "province", pl["province"])
        if row["City"]:
            self.expect("signups", k, "city", pl["city"])
        d = self.g.date("-2y", "today")
        row["Signup Date"] = self.n.date(d)
        self.expect("signups", k, "interaction_at", d.isoformat())
        row["Event"] = self.r.choice(EVENTS)
        row["Lead Source"] = self.r.choice(LEAD_SOURCES) if self.n.p(0.8) else ""
        if row["Lead Source"]:
            self.expect("signups", k, "source_channel", row["Lead Source"])
        row["Sales Rep"] = e["owner"] if self.n.p(0.4) else ""
        if row["Sales Rep"]:
            self.expect("signups", k, "owner", e["owner"])
        self.emit("signups", k, e, row)

    def expect_place(self, src, k, pl, street, district):
        self.expect(src, k, "province", pl["province"])
        self.expect(src, k, "city", pl["city"])
        if district:
            self.expect(src, k, "district", pl["district"])
        self.expect(src, k, "address", full_address(pl, street))

    def emit(self, src, k, e, row):
        self.rows[src].append(row)
        self.truth.append((src, k, e["id"]))
        self.expect(src, k, "kind", e["kind"])

    def run(self):
        for e in self.g.entities:
            n = self.r.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]
            if e.get("hard") and n == 1 and self.n.p(0.5):
                n = 2
            w = [50, 30, 20] if e["kind"] == "company" else [35, 30, 35]
            for _ in range(n):
                src = self.r.choices(["crm", "tickets", "signups"], weights=w)[0]
                getattr(self, src)(e)
        # exports come in the order systems keep them, not grouped by customer
        for src in self.rows:
            self.r.shuffle(self.rows[src])


CRM_HEADERS = ["客户编号", "客户名称", "所属行业", "客户类型", "联系人", "联系方式", "客户地址", "首次接触时间",
               "最近跟进时间", "交往记录", "客户需求", "需求优先级", "跟进负责人", "客户状态", "备注"]
TICKET_HEADERS = ["工单编号", "客户简称", "报修人", "联系电话", "邮箱", "所在省份", "所在城市", "区县", "详细地址",
                  "问题描述", "提交时间", "处理人", "状态"]
SIGNUP_HEADERS = ["Reg No.", "Last Name", "First Name", "Company", "Job Title", "Mobile Phone", "Email", "Province",
                  "City", "Event", "Signup Date", "Lead Source", "Sales Rep"]


def write(out, w, g):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "crm.csv"), "w", newline="", encoding="gb18030") as f:
        cw = csv.DictWriter(f, CRM_HEADERS, lineterminator="\r\n")
        cw.writeheader()
        cw.writerows(w.rows["crm"])
    with open(os.path.join(out, "signups.csv"), "w", newline="", encoding="utf-8") as f:
        cw = csv.DictWriter(f, SIGNUP_HEADERS, lineterminator="\n")
        cw.writeheader()
        cw.writerows(w.rows["signups"])
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "工单"
    ws.append(TICKET_HEADERS)
    for row in w.rows["tickets"]:
        ws.append([row.get(h, "") for h in TICKET_HEADERS])
    for cell in ws["K"][1:]:
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
    wb.save(os.path.join(out, "tickets.xlsx"))

    def csvw(name, header, rows):
        with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
            cw = csv.writer(f, lineterminator="\n")
            cw.writerow(header)
            cw.writerows(rows)

    csvw("truth.csv", ["source", "source_key", "entity_id"], w.truth)
    csvw("hard_negatives.csv", ["entity_a", "entity_b", "kind"], g.hard_negatives)
    csvw("field_truth.csv", ["source", "source_key", "field", "value"], w.field_truth)
    csvw("sources.csv", ["source", "file", "key"],
         [("crm", "crm.csv", "客户编号"), ("tickets", "tickets.xlsx", "工单编号"), ("signups", "signups.csv", "Reg No.")])


def main(argv=None):
    ap = argparse.ArgumentParser(description="Chinese CRM development set (faker zh_CN + own noise model)")
    ap.add_argument("--entities", type=int, default=1000, help="number of true customers")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="zh-devset", help="output directory")
    args = ap.parse_args(argv)
    if args.entities < 10:
        sys.exit("--entities must be at least 10")
    g = Gen(args.seed, args.entities)
    g.build()
    w = Writer(g)
    w.run()
    write(args.out, w, g)
    total = sum(len(v) for v in w.rows.values())
    print(f"{len(g.entities)} entities ({sum(e['kind'] == 'person' for e in g.entities)} persons), {total} rows: "
          + ", ".join(f"{s} {len(v)}" for s, v in w.rows.items())
          + f"; {len(g.hard_negatives)} hard-negative pairs; {len(w.field_truth)} expected field values -> {args.out}")


if __name__ == "__main__":
    main()
