"""The page checks against what a security review found: healthy pages taken for challenges,
markup read from comments, absurd ``Retry-After`` values and statuses, and a body too big
to say so. Unit tests first, then one real crawl against tests/faultserver.py.

The challenge pages are built from public descriptions of each service's interstitial
(Cloudflare's "Just a moment..." and "Attention Required!" pages, DDoS-Guard's and
Sucuri's JavaScript checks, ArvanCloud's ``__arcsjs`` cookie script), not captured from
these sites; the article pages are what a Persian news site behind Cloudflare serves.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime

import pytest
from conftest import scrapy_crawl
from faultserver import (
    SOFT_404,
    Fault,
    FaultServer,
    article_variant,
    chunked_oversize,
    page,
    raw,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Spider
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from test_faults_http import SITE, articles, assert_sound, fault_url, robots_with, run_row, sitemap
from twisted.python.failure import Failure

from newsarchive.archive import Archive
from newsarchive.crawl import project_settings
from newsarchive.middlewares import (
    BackoffRetryMiddleware,
    PageCheckMiddleware,
    PageRejected,
    retry_after_seconds,
)
from newsarchive.pagecheck import challenge_vendor, choose_encoding, failure_reason, is_soft_404
from newsarchive.spiders.sites import SPIDERS
from newsarchive.warc import (
    Capture,
    WarcFiles,
    WarcMiddleware,
    iter_records,
    payload_digest,
    read_capture,
    warc_date,
)

# --- pages ------------------------------------------------------------------------

PARAGRAPHS = [
    "اپل روز گذشته نسخه نهایی iOS 17.2 را برای همه کاربران آیفون منتشر کرد. این به‌روزرسانی که پس از چند هفته "
    "آزمایش در نسخه‌های بتا در دسترس قرار گرفته، اپلیکیشن تازه Journal را به گوشی‌ها می‌آورد و قابلیت ضبط "
    "ویدیوی فضایی را برای آیفون ۱۵ پرو و آیفون ۱۵ پرو مکس فعال می‌کند.",
    "به گفته اپل، اپلیکیشن Journal با کمک یادگیری ماشین روی خود دستگاه، لحظه‌های مهم روز را از میان عکس‌ها، "
    "موسیقی‌ها و تمرین‌های ورزشی پیشنهاد می‌دهد تا کاربر بتواند درباره آن‌ها بنویسد. این پیشنهادها بدون ارسال "
    "اطلاعات به سرورهای اپل ساخته می‌شوند و کاربر می‌تواند برای هر نوشته قفل جداگانه تعیین کند.",
    "ویدیوهای فضایی که با دوربین اصلی و فوق عریض آیفون ۱۵ پرو ضبط می‌شوند، در هدست ویژن پرو به شکل سه‌بعدی "
    "نمایش داده خواهند شد. اپل می‌گوید این ویدیوها با کیفیت ۱۰۸۰p و نرخ ۳۰ فریم بر ثانیه ضبط می‌شوند و هر دقیقه "
    "از آن‌ها حدود ۱۳۰ مگابایت فضا می‌گیرد.",
    "در کنار این دو قابلیت، iOS 17.2 پشتیبانی از استاندارد شارژ بی‌سیم Qi2 را به آیفون ۱۳ و آیفون ۱۴ اضافه "
    "می‌کند، دکمه Action آیفون ۱۵ پرو را برای ترجمه سریع قابل تنظیم می‌کند و چند حفره امنیتی را نیز می‌بندد؛ "
    "حفره‌هایی که به گفته شرکت ممکن بود از طریق صفحات وب دستکاری‌شده مورد سوءاستفاده قرار بگیرند.",
]
HEADER = (
    '<header class="site-header"><a class="logo" href="https://digiato.com/">دیجیاتو</a><nav><ul>'
    + "".join(
        f'<li><a href="https://digiato.com/topic/{slug}">{name}</a></li>'
        for slug, name in [
            ("tech", "تکنولوژی"),
            ("mobile", "موبایل"),
            ("business", "کسب و کار"),
            ("games", "بازی"),
            ("science", "علم"),
        ]
    )
    + "</ul></nav></header>"
)
FOOTER = (
    '<footer class="site-footer"><p>کلیه حقوق این سایت متعلق به دیجیاتو است.</p><ul>'
    '<li><a href="/about">درباره ما</a></li><li><a href="/contact">تماس با ما</a></li></ul></footer>'
)
#: Cloudflare's JavaScript detections snippet, injected before ``</body>`` of healthy pages
#: (developers.cloudflare.com, "JavaScript detections").
JSD_SNIPPET = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;if(b){var d=b.createElement("
    "'script');d.innerHTML=\"window.__CF$cv$params={r:'8f2b6c1d9e0a4b7c',t:'MTczMjg3NjQwMC4wMDAwMDA='};var a=document"
    ".createElement('script');a.nonce='';a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';document."
    "getElementsByTagName('head')[0].appendChild(a);\";b.getElementsByTagName('head')[0].appendChild(d)}}if(document."
    "body){var a=document.createElement('iframe');a.height=1;a.width=1;a.style.position='absolute';a.style.top=0;"
    "a.style.left=0;a.style.border='none';a.style.visibility='hidden';document.body.appendChild(a);if('loading'!=="
    "document.readyState)c();else if(window.addEventListener)document.addEventListener('DOMContentLoaded',c);else{var "
    "e=document.onreadystatechange||function(){};document.onreadystatechange=function(b){e(b);'loading'!==document."
    "readyState&&(document.onreadystatechange=null,c())}}}})();</script>"
)
JSD_TAG = '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>'
#: An older path of the same script, under /h/ like the challenge's own scripts.
JSD_TAG_OLD = '<script defer src="/cdn-cgi/challenge-platform/h/b/scripts/jsd/13c98df4ef2d/main.js"></script>'
#: Cloudflare's other page rewrites on healthy sites: e-mail obfuscation and Rocket Loader.
CF_REWRITES = (
    '<script data-cfasync="false" src="/cdn-cgi/scripts/5c5dd728/cloudflare-static/email-decode.min.js"></script>'
    '<script src="/cdn-cgi/scripts/7d0fa10a/cloudflare-static/rocket-loader.min.js" data-cf-settings="1a2b3c-|49" '
    "defer></script>"
)
QUOTE_EN = "Checking your browser before accessing"


def news_page(
    paragraphs=PARAGRAPHS,
    *,
    title="iOS 17.2 منتشر شد؛ اپلیکیشن Journal آمد - دیجیاتو",
    head="",
    body_end="",
    container="article",
    repeat=3,
) -> str:
    """A Persian article page: head with styles and scripts, header, the article, footer."""
    text = "".join(f"<p>{p}</p>" for _ in range(repeat) for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="fa-IR" dir="rtl"><head><meta charset="UTF-8">'
        f"<title>{title}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="https://digiato.com/wp-content/themes/digiato/style.css?ver=3.8.2">'
        "<style>.site-header{position:sticky;top:0}.entry-content p{line-height:2}</style>"
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}</script>"
        f'{head}</head><body class="post-template-default single single-post">{HEADER}'
        f'<main id="main"><{container} class="post"><h1 class="entry-title">{title}</h1>'
        f'<div class="entry-content">{text}</div></{container}></main>{FOOTER}'
        '<script src="https://digiato.com/wp-content/themes/digiato/assets/js/main.min.js?ver=3.8.2" defer></script>'
        f"{body_end}</body></html>"
    )


ARTICLE = article_variant("https://digiato.com/mobile/x")
HEALTHY_PAGES = {
    "jsd snippet": news_page(body_end=JSD_SNIPPET),
    "jsd script tag": news_page(head=JSD_TAG),
    "jsd old path, no <article>": news_page(head=JSD_TAG_OLD, container="div"),
    "cloudflare rewrites": news_page(head=CF_REWRITES, body_end=JSD_SNIPPET, container="section"),
    "mirror article with jsd": ARTICLE.replace("</body>", JSD_SNIPPET + "</body>"),
    "quoted sentence": news_page(
        [
            *PARAGRAPHS,
            f"کاربران هنگام ورود به برخی سایت‌ها با پیام «{QUOTE_EN} "
            "digiato.com» روبه‌رو می‌شوند و چند ثانیه باید صبر کنند.",
        ]
    ),
    "quoted sentence, no <article>": news_page(
        [
            f"<q>{QUOTE_EN} the site. Just a moment...</q> این پیام را کاربران ایرانی زیاد می‌بینند.",
            *PARAGRAPHS,
        ],
        container="div",
    ),
    "article about the interstitials": news_page(
        [
            *PARAGRAPHS,
            "صفحه چالش کلودفلر عنوان «Just a moment...» دارد و متغیر <code>window._cf_chl_opt</code> را "
            "تعریف می‌کند؛ سوکوری کوکی <code>sucuri_cloudproxy_js</code> و آروان‌کلاد کوکی "
            "<code>__arcsjs</code> را می‌سازد و در پایین صفحه DDoS-Guard نوشته است: DDoS protection by "
            "DDoS-Guard.",
        ],
        title="صفحه‌های Just a moment... چطور کار می‌کنند؟",
    ),
}

CF_STYLE = (
    "<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;color:#313131;font-family:"
    "system-ui,-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica Neue,Arial,sans-serif}body{display:"
    "flex;flex-direction:column;height:100vh;min-height:100vh}.main-content{margin:8rem auto;max-width:60rem;"
    "padding-left:1.5rem}.h2{font-size:1.5rem;font-weight:500;line-height:2.25rem}</style>"
)
CF_CHL_SCRIPT = (
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: \"digiato.com\",cType: 'managed',cRay: "
    "'8f2b6c1d9e0a4b7c',cH: 'xOq3_0sCu1pJ.Yb6kZ',cUPMDTk: \"\\/mobile\\/x?__cf_chl_tk=Gm3kz\",cFPWv: 'b',cITimeS: "
    "'1732876400',cTTimeMs: '1000',cMTimeMs: '390000',cTplV: 5,cTplB: 'cf',cK: \"\",fa: \"\\/mobile\\/x?"
    "__cf_chl_f_tk=Gm3kz\",md: \"nF8h2.Qa\",cRq: {ru: 'aHR0cHM6Ly9kaWdpYXRvLmNvbS9tb2JpbGUveA==',ra: 'TW96aWxsYQ==',"
    "d: 'k1Zx',t: 'MTczMjg3NjQwMC4wMDAwMDA=',m: 'c2Vj',i1: 'aX0=',i2: 'aX0=',zh: 'aX0=',uh: 'aX0=',hh: 'aX0='}};var "
    "cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray="
    "8f2b6c1d9e0a4b7c';window._cf_chl_opt.cOgUHash=location.hash===''&&location.href.indexOf('#')!==-1?'#':"
    "location.hash;if(window.history&&window.history.replaceState){var ogU=location.pathname+window._cf_chl_opt."
    'cOgUHash;history.replaceState(null,null,"\\/mobile\\/x?__cf_chl_rt_tk=Gm3kz"+window._cf_chl_opt.cOgUHash);'
    "cpo.onload=function(){history.replaceState(null,null,ogU);}}document.getElementsByTagName('head')[0]."
    "appendChild(cpo);}());</script>"
)
#: Cloudflare's managed challenge (2023-): 403 with ``cf-mitigated: challenge``.
CF_MANAGED = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" '
    'content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" content="IE=Edge"><meta name="robots" '
    f'content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1">{CF_STYLE}'
    '<meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main">'
    '<div class="main-content"><h1 class="zone-name-title h1">digiato.com</h1><h2 id="challenge-running" class="h2">'
    'Verifying you are human. This may take a few seconds.</h2><noscript><div id="challenge-error-title">'
    '<div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></div>'
    '</noscript><div id="challenge-body-text" class="core-msg spacer">digiato.com needs to review the security of '
    'your connection before proceeding.</div></div></div><div class="footer" role="contentinfo"><div '
    'class="footer-inner"><div class="text-center" id="footer-text">Ray ID: <code>8f2b6c1d9e0a4b7c</code></div>'
    '<div class="text-center">Performance &amp; security by <a rel="noopener noreferrer" href="https://www.'
    f'cloudflare.com?utm_source=challenge" target="_blank">Cloudflare</a></div></div></div>{CF_CHL_SCRIPT}'
    "</body></html>"
)
#: The same challenge as some set-ups pass it on: status 200, no ``cf-mitigated`` header, localised.
CF_200 = CF_MANAGED.replace(
    "Verifying you are human. This may take a few seconds.",
    "در حال بررسی اینکه شما انسان هستید. این کار ممکن است چند ثانیه طول بکشد.",
)
#: The older "I'm Under Attack" page, served as 503.
CF_IUAM = (
    '<!DOCTYPE HTML><html lang="en-US"><head><meta charset="UTF-8" /><meta http-equiv="X-UA-Compatible" '
    'content="IE=Edge,chrome=1" /><meta name="robots" content="noindex, nofollow" /><title>Just a moment...</title>'
    '<style type="text/css">html, body {width: 100%; height: 100%; margin: 0; padding: 0;} .bubbles {background-'
    'color: #404040; width:15px; height: 15px; display:inline-block;}</style><script type="text/javascript">'
    "//<![CDATA[\n(function(){var a=function(){try{return !!window.addEventListener}catch(e){return !1}},b=function"
    '(b,c){a()?document.addEventListener("DOMContentLoaded",b,c):document.attachEvent("onreadystatechange",b)};'
    "b(function(){var a=document.getElementById('cf-content');a.style.display='block';setTimeout(function(){var s,t,"
    "o,p,b,r,e,a,k,i,n,g,f,jVTvYnt={\"x\":+((!+[]+!![]+[])+(+!![]))};t=document.createElement('div');document."
    "getElementById('challenge-form').submit();},4000);},false);})();\n//]]>\n</script></head><body><table width="
    '"100%" height="100%" cellpadding="20"><tr><td align="center" valign="middle"><div class="cf-browser-verification '
    'cf-im-under-attack"><noscript><h1 data-translate="turn_on_js" style="color:#bd2426;">Please turn JavaScript on '
    'and reload the page.</h1></noscript><div id="cf-content" style="display:none"><div><div class="bubbles"></div>'
    '</div><h1><span data-translate="checking_browser">Checking your browser before accessing</span> digiato.com.'
    '</h1><p data-translate="process_is_automatic">This process is automatic. Your browser will redirect to your '
    'requested content shortly.</p><p data-translate="allow_5_secs">Please allow up to 5 seconds&hellip;</p></div>'
    '<form id="challenge-form" action="/mobile/x?__cf_chl_jschl_tk__=f9d1c0e2" method="POST"><input type="hidden" '
    'name="r" value="a1b2"/><input type="hidden" name="jschl_vc" value="c3d4"/><input type="hidden" '
    'name="jschl_answer" id="jschl-answer"/></form></div><div class="attribution"><a href="https://www.cloudflare.com'
    '/5xx-error-landing/" target="_blank">DDoS protection by Cloudflare</a><br />Ray ID: 8f2b6c1d9e0a4b7c</div></td>'
    "</tr></table></body></html>"
)
#: Cloudflare's WAF block page.
CF_BLOCK = (
    '<!DOCTYPE html><!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]--><!--[if gt IE 8]><!--> '
    '<html class="no-js" lang="en-US"> <!--<![endif]--><head><title>Attention Required! | Cloudflare</title><meta '
    'charset="UTF-8" /><meta name="robots" content="noindex, nofollow" /><link rel="stylesheet" id="cf_styles-css" '
    'href="/cdn-cgi/styles/cf.errors.css" /><script>(function(){if(document.addEventListener&&window.XMLHttpRequest'
    '&&JSON&&JSON.stringify){var e=function(a){var c=document.getElementById("error-feedback-survey");c.classList.'
    'add("feedback-hidden")};}})();</script></head><body><div id="cf-wrapper"><div class="cf-alert cf-alert-error '
    'cf-cookie-error" id="cookie-alert" data-translate="enable_cookies">Please enable cookies.</div><div '
    'id="cf-error-details" class="cf-error-details-wrapper"><div class="cf-wrapper cf-header cf-error-overview">'
    '<h1 data-translate="block_headline">Sorry, you have been blocked</h1><h2 class="cf-subheadline"><span '
    'data-translate="unable_to_access">You are unable to access</span> digiato.com</h2></div><div class="cf-section '
    'cf-wrapper"><div class="cf-columns two"><div class="cf-column"><h2 data-translate="blocked_why_headline">Why '
    'have I been blocked?</h2><p data-translate="blocked_why_detail">This website is using a security service to '
    "protect itself from online attacks. The action you just performed triggered the security solution. There are "
    "several actions that could trigger this block including submitting a certain word or phrase, a SQL command or "
    'malformed data.</p></div><div class="cf-column"><h2 data-translate="blocked_resolve_headline">What can I do to '
    'resolve this?</h2><p data-translate="blocked_resolve_detail">You can email the site owner to let them know you '
    "were blocked. Please include what you were doing when this page came up and the Cloudflare Ray ID found at the "
    'bottom of this page.</p></div></div></div><div class="cf-error-footer cf-wrapper"><p><span class="cf-footer-item">'
    'Cloudflare Ray ID: <strong class="font-semibold">8f2b6c1d9e0a4b7c</strong></span><span class="cf-footer-item">'
    'Your IP: <button type="button" id="cf-footer-ip-reveal" class="cf-footer-ip-reveal-btn">Click to reveal</button>'
    '</span><span class="cf-footer-item"><span>Performance &amp; security by</span> <a rel="noopener noreferrer" '
    'href="https://www.cloudflare.com/5xx-error-landing" id="brand_link" target="_blank">Cloudflare</a></span></p>'
    "</div></div></div></body></html>"
)
#: ArvanCloud's cookie challenge: a script computes ``__arcsjs`` and reloads (see ../shared/notes/sites.md).
ARVAN = (
    '<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>ArvanCloud</title><meta name="robots" '
    'content="noindex, nofollow"><style>body{font-family:Tahoma,sans-serif;text-align:center;margin-top:20vh}</style>'
    '</head><body><div class="ar-box"><p>در حال بررسی مرورگر شما، لطفاً چند لحظه صبر کنید…</p><p>Checking your '
    "browser, please wait…</p><noscript>برای ادامه، جاوااسکریپت را فعال کنید.</noscript></div><script>(function()"
    "{function h(s){var x=0;for(var i=0;i<s.length;i++){x=(x*31+s.charCodeAt(i))|0}return(x>>>0).toString(16)}var "
    "t='b2f9c1d0e8a7';document.cookie='__arcsjs='+h(t+navigator.userAgent)+'; path=/; max-age=3600';setTimeout("
    "function(){location.reload()},1500)})();</script></body></html>"
)
#: DDoS-Guard's browser check.
DDOS_GUARD = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>DDoS-Guard</title><meta name="viewport" '
    'content="width=device-width, initial-scale=1"><style>body{background:#f8f8f8;font-family:Arial}</style><script '
    'src="/.well-known/ddos-guard/js-challenge/index.js"></script></head><body><div class="ddg-wrapper"><h1>Checking '
    "your browser before accessing digiato.com</h1><p>This process is automatic. Your browser will redirect to your "
    'requested content shortly.</p><p>Please allow up to 5 seconds…</p></div><div class="ddg-footer"><a href='
    '"https://ddos-guard.net/" target="_blank">DDoS protection by DDoS-Guard</a></div></body></html>'
)
#: Sucuri's JavaScript check: an obfuscated script sets ``sucuri_cloudproxy_uuid_…`` and reloads.
SUCURI_JS = (
    "<html><title>You are being redirected...</title><noscript>Javascript is required. Please enable javascript before "
    "you are allowed to see this page.</noscript><script>var s={},u,c,U,r,i,l=0,a,e=eval,w=String.fromCharCode,"
    "sucuri_cloudproxy_js='',S='cz0iMSIuc3Vic3RyKDAsMSkgKyAnMmEnICsgIjRmIiArICcnOw==';L=S.length;U=0;r='';var A="
    "'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';for(u=0;u<64;u++){s[A.charAt(u)]=u;}for(i=0;"
    "i<L;i++){c=s[S.charAt(i)];U=(U<<6)+c;l+=6;while(l>=8){((a=(U>>>(l-=8))&0xff)||(i<(L-2)))&&(r+=w(a));}}e(r);"
    "</script></html>"
)
#: Sucuri's firewall block page.
SUCURI_BLOCK = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sucuri WebSite Firewall - Access Denied</title>'
    '<link rel="stylesheet" href="https://cdn.sucuri.net/sucuri-firewall-block.css"></head><body><div id="main-container">'
    '<header class="app-header"><h1>Access Denied - Sucuri Website Firewall</h1></header><section class="app-content '
    'access-denied"><p>If you are the site owner (or you manage this site), please whitelist your IP or if you think '
    'this block is an error please <a href="https://support.sucuri.net">open a support ticket</a> and make sure to '
    "include the block details (displayed in the box below), so we can assist you in troubleshooting the issue.</p>"
    "<h2>Block details:</h2><table><tr><td>Your IP:</td><td>192.0.2.10</td></tr><tr><td>URL:</td><td>digiato.com/"
    "mobile/x</td></tr><tr><td>Block ID:</td><td>BNP005</td></tr><tr><td>Block reason:</td><td>Bad bot access attempt."
    "</td></tr><tr><td>Time:</td><td>2024-11-29 10:00:00</td></tr><tr><td>Server ID:</td><td>14013</td></tr></table>"
    '</section><footer><span>&copy; 2024 Sucuri Inc. All rights reserved.</span> <a href="mailto:cloudproxy@sucuri.'
    'net">cloudproxy@sucuri.net</a></footer></div></body></html>'
)
CHALLENGES = {
    "cloudflare managed 403": (
        403,
        {"server": "cloudflare", "cf-mitigated": "challenge"},
        CF_MANAGED,
        "cloudflare",
    ),
    "cloudflare managed 403, header stripped": (403, {"server": "cloudflare"}, CF_MANAGED, "cloudflare"),
    "cloudflare 200, localised": (200, {"server": "cloudflare"}, CF_200, "cloudflare"),
    "cloudflare 429": (429, {"server": "cloudflare"}, CF_MANAGED, "cloudflare"),
    "cloudflare under attack 503": (503, {"server": "cloudflare"}, CF_IUAM, "cloudflare"),
    "cloudflare block 403": (403, {"server": "cloudflare"}, CF_BLOCK, "cloudflare"),
    "cloudflare 200 behind another proxy": (200, {"server": "nginx"}, CF_MANAGED, "generic"),
    "arvancloud 403": (403, {"server": "ArvanCloud"}, ARVAN, "arvancloud"),
    "arvancloud 200": (200, {"server": "ArvanCloud"}, ARVAN, "arvancloud"),
    "ddos-guard 403": (403, {"server": "ddos-guard"}, DDOS_GUARD, "ddos-guard"),
    "sucuri js 200": (200, {"server": "Sucuri/Cloudproxy"}, SUCURI_JS, "sucuri"),
    "sucuri block 403": (403, {"server": "Sucuri/Cloudproxy"}, SUCURI_BLOCK, "sucuri"),
}


# --- 1. challenges --------------------------------------------------------------------


@pytest.mark.parametrize("name", HEALTHY_PAGES)
@pytest.mark.parametrize("status", [200, 403, 503])
def test_healthy_pages_behind_cloudflare_are_not_challenges(name, status):
    body = HEALTHY_PAGES[name].encode()
    assert len(body) > 4000
    assert challenge_vendor(status, {"server": "cloudflare", "cf-ray": "8f2b6c1d9e0a4b7c-FRA"}, body) is None


@pytest.mark.parametrize("name", CHALLENGES)
def test_realistic_challenge_pages_are_recognised(name):
    status, headers, body, vendor = CHALLENGES[name]
    assert challenge_vendor(status, headers, body.encode()) == vendor


@pytest.mark.parametrize("name", ["cloudflare managed 403", "arvancloud 403", "ddos-guard 403"])
def test_a_challenge_is_one_whatever_comments_it_carries(name):
    status, headers, body, vendor = CHALLENGES[name]
    commented = body.replace("<body", "<!-- " + ARTICLE[:6000].replace("-->", "") + " --><body", 1)
    assert challenge_vendor(status, headers, commented.encode()) == vendor


def _middleware():
    return PageCheckMiddleware.from_crawler(get_crawler(settings_dict={}))


@pytest.mark.parametrize("name", ["jsd snippet", "mirror article with jsd", "quoted sentence"])
def test_the_page_check_lets_a_healthy_cloudflare_article_through(name):
    request = Request("https://digiato.com/mobile/x", meta={"newsarchive_kind": "article"})
    response = HtmlResponse(
        request.url,
        body=HEALTHY_PAGES[name].encode(),
        request=request,
        headers={"Content-Type": "text/html; charset=UTF-8", "Server": "cloudflare"},
    )
    assert _middleware().process_response(request, response) is response


def test_the_page_check_still_rejects_a_challenge_as_blocked():
    request = Request("https://digiato.com/mobile/x", meta={"newsarchive_kind": "article"})
    response = HtmlResponse(
        request.url,
        status=200,
        body=CF_200.encode(),
        request=request,
        headers={"Content-Type": "text/html; charset=UTF-8", "Server": "cloudflare"},
    )
    with pytest.raises(PageRejected) as rejected:
        _middleware().process_response(request, response)
    assert rejected.value.reason == "blocked"


# --- 2. comments, scripts and styles are not markup -------------------------------------

#: A brief news item: little text and no <article>, as some themes print them.
SHORT_NEWS = news_page(PARAGRAPHS[:1], repeat=1, container="div")


@pytest.mark.parametrize(
    "hidden",
    [
        '<!-- <body class="error404"> -->',
        '<!--\n<body class="error404 wp-theme-digiato">\n-->',
        "<script>var notFound = '<body class=\"error404\">';</script>",
        "<style>/* <body class='error404'> */</style>",
    ],
)
def test_a_not_found_body_class_in_a_comment_or_script_does_not_make_an_article_a_soft_404(hidden):
    for page_html in (ARTICLE, SHORT_NEWS):
        assert not is_soft_404(page_html.replace("<head>", "<head>" + hidden, 1))


@pytest.mark.parametrize(
    "hidden",
    [
        "<!-- <title>404 Not Found</title> -->",
        "<script>document.title = '<title>صفحه یافت نشد</title>';</script>",
    ],
)
def test_a_not_found_title_in_a_comment_or_script_does_not_make_a_short_page_a_soft_404(hidden):
    assert not is_soft_404(SHORT_NEWS.replace("<head>", "<head>" + hidden, 1))


def test_real_soft_404s_are_still_recognised_with_comments_around():
    assert is_soft_404("<!-- cached by WP Rocket -->" + SOFT_404.decode() + "<!-- 0.12s -->")
    assert is_soft_404(SOFT_404.decode().replace("<body", "<!-- <body class='single'> --><body"))


@pytest.mark.parametrize(
    "hidden",
    [
        "<!-- <title>Just a moment...</title> -->",
        "<!-- window._cf_chl_opt = {}; __arcsjs sucuri_cloudproxy_js cf-browser-verification -->",
    ],
)
def test_challenge_markers_in_a_comment_are_not_read(hidden):
    body = SHORT_NEWS.replace("<head>", "<head>" + hidden, 1).encode()
    assert challenge_vendor(200, {"server": "cloudflare"}, body) is None


def test_a_meta_charset_in_a_comment_does_not_count():
    html = ARTICLE.replace('<meta charset="UTF-8">', '<meta charset="windows-1256">')
    body = html.replace("<head>", '<head><!-- <meta charset="utf-8"> -->', 1).encode(
        "cp1256", "xmlcharrefreplace"
    )
    encoding, note = choose_encoding(body, "text/html")
    assert encoding is None and note is None  # the page's real <meta> says cp1256, as Scrapy reads it
    assert HtmlResponse("https://digiato.com/x", body=body).encoding == "cp1256"


@pytest.mark.parametrize(
    "body",
    [
        b"<title>Just a moment...</title>" + b"<" * 65_000,
        b"<title" * 11_000,
        b'<body class="' * 5_000,
        b"<title>404</title>" + b"<" * 65_000,
        b"_cf_chl_opt" + b"<!--" * 16_000,
        b"<title>DDoS-Guard</title>" + b"<script" * 9_000,
    ],
    ids=[
        "challenge-title-then-lt",
        "title-unclosed",
        "body-class-unclosed",
        "404-title-then-lt",
        "comments-unclosed",
        "scripts-unclosed",
    ],
)
def test_hostile_markup_is_read_in_linear_time(body):
    # Each took 0.4-10 s when a repeat could run past the next "<" (quadratic); now milliseconds.
    started = time.perf_counter()
    challenge_vendor(200, {}, body)
    is_soft_404(body.decode())
    assert time.perf_counter() - started < 0.5


# --- 3. Retry-After ---------------------------------------------------------------------

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("²", None),
        ("١٢٠", None),
        ("۱۲۰", None),
        ("1²", None),
        ("-5", None),
        ("+5", None),
        ("", None),
        ("   ", None),
        ("1.5", None),
        ("0x10", None),
        (" 120 ", 120.0),
        ("99999999999999999999999", 1e23),
        ("9" * 5000, float("inf")),
        (
            "Fri, 31 Dec 9999 23:59:59 GMT",
            (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - NOW).total_seconds(),
        ),
        ("Mon, 01 Jan 0001 00:00:00 GMT", 0.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("Sun, 29 Nov 99999999999999999999 10:00:30 GMT", None),
        ("Sun, 29 Nov 2026 10:00:30 +9999", None),
        ("Sun, 29 Nov 2026 10:00:30", 30.0),
        ("Sun, 31 Feb 2026 10:00:30 GMT", None),
    ],
)
def test_retry_after_absurd_values_are_read_or_refused_never_raised(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds
    assert retry_after_seconds(value.encode("utf-8"), now=NOW) == seconds


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.binary(),
        st.from_regex(r"\A\s*[0-9²³¹٠-٩۰-۹+\-]{0,30}\s*\Z"),
        st.builds(
            lambda d, tz: d.strftime("%a, %d %b %Y %H:%M:%S ") + tz,
            st.datetimes(),
            st.sampled_from(["GMT", "+0330", "-2359", "+2400", "UT", "XYZ"]),
        ),
    )
)
def test_retry_after_never_raises_on_any_header(value):
    seconds = retry_after_seconds(value, now=NOW)
    assert seconds is None or seconds >= 0


def test_a_503_with_an_absurd_retry_after_is_given_up_not_a_crash():
    crawler = get_crawler(
        settings_dict={
            "NEWSARCHIVE_RETRY_BACKOFF_BASE": 0.01,
            "NEWSARCHIVE_RETRY_BACKOFF_MAX": 0.01,
            "NEWSARCHIVE_RETRY_AFTER_MAX": 60.0,
        }
    )
    crawler.spider = Spider.from_crawler(crawler, name="digiato")
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://digiato.com/mobile/x")

    def respond(value):
        response = Response(request.url, status=503, headers={"Retry-After": value}, request=request)
        return asyncio.run(middleware.process_response(request, response))

    retried = respond("²".encode("latin-1"))  # byte 0xB2, unreadable: exponential backoff instead
    assert isinstance(retried, Request) and retried.meta["retry_times"] == 1
    assert not isinstance(
        respond("99999999999999999999999"), Request
    )  # far beyond the maximum: not waited for


# --- 4. statuses no server should send ---------------------------------------------------

HUGE_STATUS = 999999999999999999999


def _capture(status: int, url: str = "https://digiato.com/mobile/x") -> Capture:
    body = b"<html><body>hello</body></html>"
    return Capture(
        url=url,
        method="GET",
        request_headers=[],
        request_body=b"",
        status=status,
        response_headers=[("Content-Type", "text/html")],
        payload=body,
        date=warc_date(datetime.now(UTC)),
        digest=payload_digest(body),
        kind="article",
    )


@pytest.mark.parametrize("status", [HUGE_STATUS, -1, 0, 99, 1000, 2**63])
def test_a_status_outside_100_to_999_is_indexed_as_null_with_a_note(tmp_path, status):
    files = WarcFiles(tmp_path / "records", "digiato", 1, datetime.now(UTC))
    rows = [files.write(_capture(status)), files.write(_capture(200, "https://digiato.com/mobile/y"))]
    files.close()
    with Archive(tmp_path / "archive.db") as archive:
        archive.add_captures(rows)
        bad, good = (
            archive.latest_capture("https://digiato.com/mobile/x"),
            archive.latest_capture("https://digiato.com/mobile/y"),
        )
        assert bad["status"] is None and json.loads(bad["meta"])["http_status"] == str(status)
        assert good["status"] == 200 and good["meta"] is None
        assert (
            read_capture(archive, tmp_path / "records", bad).status == status
        )  # the WARC keeps what was sent
    problems: list = []
    assert [r.status for r in iter_records(files.files[0], problems) if r.rec_type == "response"] == [
        status,
        200,
    ]
    assert problems == []


def test_the_warc_middleware_indexes_a_huge_status_with_the_rest(tmp_path):
    settings_dict = {
        **project_settings().copy_to_dict(),
        "TWISTED_REACTOR_ENABLED": False,
        "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
        "NEWSARCHIVE_DB": str(tmp_path / "archive.db"),
        "NEWSARCHIVE_WARC_DIR": str(tmp_path / "records"),
    }
    crawler = get_crawler(SPIDERS["digiato"], settings_dict)
    crawler.spider = SPIDERS["digiato"].from_crawler(crawler)
    middleware = WarcMiddleware.from_crawler(crawler)
    for path, status in (("/mobile/x", HUGE_STATUS), ("/mobile/y", 200)):
        request = Request("https://digiato.com" + path, meta={"newsarchive_kind": "article"})
        response = Response(request.url, status=status, body=b"<html>hi</html>", request=request)
        assert middleware.process_response(request, response) is response
    middleware.spider_closed(crawler.spider, "finished")
    assert middleware.thread.errors == 0
    with Archive(tmp_path / "archive.db") as archive:
        assert {row["url"]: row["status"] for row in archive.db["captures"].rows} == {
            "https://digiato.com/mobile/x": None,
            "https://digiato.com/mobile/y": 200,
        }


@pytest.mark.parametrize(
    "status, reason",
    [
        (HUGE_STATUS, "bad-status"),
        (-1, "bad-status"),
        (99, "bad-status"),
        (999, "server-error"),
        (100, "http-100"),
    ],
)
def test_an_impossible_status_has_its_own_reason(status, reason):
    class Error(Exception):
        response = Response("https://digiato.com/mobile/x", status=status)

    assert failure_reason(Failure(Error())) == reason


# --- 5. too big, without saying so --------------------------------------------------------


def test_a_download_cancelled_for_its_size_without_a_length_is_oversize():
    # What the HTTP/1.1 handler raises when the bytes received pass DOWNLOAD_MAXSIZE:
    # _ResponseReader cancels its Deferred, and the CancelledError (no message) is wrapped.
    assert failure_reason(Failure(DownloadCancelledError(""))) == "oversize"


# --- one real crawl -------------------------------------------------------------------------

OVERFLOW_BODY = b"<html><p>hello</p></html>"
STATUS_OVERFLOW = (
    b"HTTP/1.1 999999999999999999999 X\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(OVERFLOW_BODY), OVERFLOW_BODY)
)


def hostile_pages() -> dict[str, Fault]:
    def add(snippet: str):
        return lambda html: html.replace("</body>", snippet + "</body>")

    def quote(html: str) -> str:
        return html.replace("<p>", f"<p>«{QUOTE_EN} digiato.com» را همه دیده‌ایم. ", 1)

    cloudflare = {"Server": "cloudflare", "CF-RAY": "8f2b6c1d9e0a4b7c-FRA"}
    return {
        "jsd": Fault(page(article_variant(fault_url("jsd"), add(JSD_SNIPPET)).encode(), headers=cloudflare)),
        "quoted": Fault(page(article_variant(fault_url("quoted"), quote).encode(), headers=cloudflare)),
        "commented-404": Fault(
            page(
                article_variant(
                    fault_url("commented-404"),
                    lambda html: html.replace("<head>", '<head><!-- <body class="error404"> -->'),
                ).encode()
            )
        ),
        "ddos-guard": Fault(page(DDOS_GUARD.encode(), status=403, headers={"Server": "ddos-guard"})),
        "chunked-oversize": Fault(chunked_oversize(50)),
        "status-overflow": Fault(raw(STATUS_OVERFLOW)),
    }


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    """One crawl of the mirror with the hostile pages, WARC records on, a 2 MB cap; (db, server, result)."""
    pages = hostile_pages()
    faults = {f"/mobile/fault-{name}": fault for name, fault in pages.items()}
    faults["/robots.txt"] = robots_with("sitemap_index.xml", "hostile-sitemap.xml")
    faults["/hostile-sitemap.xml"] = Fault(
        page(sitemap([fault_url(name) for name in pages]), "application/xml")
    )
    base = tmp_path_factory.mktemp("pagecheck-hostile")
    db = base / "archive.db"
    with FaultServer(faults) as server:
        result = scrapy_crawl(
            "digiato",
            db,
            server.url,
            "-s",
            "DOWNLOAD_TIMEOUT=5",
            "-s",
            "RETRY_TIMES=1",
            "-s",
            "NEWSARCHIVE_RETRY_BACKOFF_BASE=0.1",
            "-s",
            "DOWNLOAD_MAXSIZE=2000000",
            "-s",
            "DOWNLOAD_WARNSIZE=1000000",
            "-s",
            f"NEWSARCHIVE_WARC_DIR={base / 'records'}",
            check=False,
        )
    (base / "crawl.log").write_text(result.stderr)
    return db, server, result


@pytest.mark.slow
def test_the_hostile_crawl_finishes_with_a_sound_archive(hostile_crawl):
    db, _, result = hostile_crawl
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "'finish_reason': 'finished'" in result.stderr
    assert "could not index" not in result.stderr
    assert_sound(db)


@pytest.mark.slow
def test_healthy_articles_behind_cloudflare_are_stored(hostile_crawl):
    db, _, _ = hostile_crawl
    stored = {url.removeprefix(f"{SITE}/mobile/fault-") for url in articles(db) if "/fault-" in url}
    assert stored == {"jsd", "quoted", "commented-404"}
    dropped = run_row(db)["dropped"]
    assert dropped.get("blocked") == 1  # DDoS-Guard's check, and nothing else
    assert "soft-404" not in dropped


@pytest.mark.slow
def test_a_body_past_the_cap_without_a_length_is_oversize(hostile_crawl):
    db, server, result = hostile_crawl
    dropped = run_row(db)["dropped"]
    assert dropped.get("oversize") == 1
    assert "fetch-error" not in dropped
    assert len(server.times("/mobile/fault-chunked-oversize")) == 1  # not retried
    assert "Received " in result.stderr and "larger than download max size (2000000)" in result.stderr


@pytest.mark.slow
def test_a_status_of_21_digits_is_a_named_drop_and_indexed_as_null(hostile_crawl):
    db, _, _ = hostile_crawl
    assert run_row(db)["dropped"].get("bad-status") == 1
    with sqlite3.connect(db) as conn:
        status, meta = conn.execute(
            "select status, meta from captures where url = ?", [fault_url("status-overflow")]
        ).fetchone()
        assert status is None and json.loads(meta)["http_status"] == str(HUGE_STATUS)
        assert conn.execute("select count(*) from captures where status is not null").fetchone()[0] > 20
