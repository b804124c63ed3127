from apps.subjects.codes import build_uscc


def list_entry_row(department, n=1, list_type="重大税收违法失信主体", **overrides):
    row = {
        "MD_XDR_MC": f"乳山市测试建材有限公司{n}",
        "MD_XDR_LB": "法人及非法人组织",
        "MD_XDR_SHXYM": build_uscc("91", "371083", f"MA3F{n:04d}"),
        "MD_FRDB": "王强",
        "MD_MDLX": list_type,
        "MD_RDYJ": "《重大税收违法失信主体信息公布管理办法》第六条",
        "MD_LRSY": "虚开增值税专用发票",
        "MD_RDWSH": f"乳税稽罚〔2024〕{n}号",
        "MD_RDRQ": "2024-09-27",
        "MD_JG": department.name,
        "MD_JGDM": department.uscc,
        "MD_SJLY": department.name,
        "MD_SJLYDM": department.uscc,
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}
