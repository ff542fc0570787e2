m4_dnl common.m4 - quoting and helpers shared by every template.
m4_dnl Quotes are <<< >>> (never valid C), comments are off so that C's #
m4_dnl lines expand too; always run with m4 -P (DESIGN.md).
m4_changecom()m4_dnl
m4_dnl SNN_IF(cond, then[, else]): cond is 0 or 1.
m4_define(<<<SNN_IF>>>, <<<m4_ifelse(<<<$1>>>, <<<0>>>, <<<$3>>>, <<<$2>>>)>>>)m4_dnl
