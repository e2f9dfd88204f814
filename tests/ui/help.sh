#!/bin/sh
# The help screen is generated from the request table: every key is listed, it scrolls, and Esc
# (or any sale key) goes back to the sale.
. tests/ui/lib.sh

ui_start
ui_sign_in
ui_wait_text "Code :"
ui_keys F1
ui_expect_screen help_fr
# the last request (quit) is below the fold: scroll to it (the scroll stops at the ends)
ui_keys PageDown PageDown PageDown
ui_wait_text "quitter ssa-pos"
ui_no_text "Saisie et scan"
ui_keys PageUp PageUp PageUp
ui_wait_text "Saisie et scan"
ui_keys Escape
ui_wait_text "Le panier est vide : scannez"
# '?' is help too; a sale key on the help screen goes to the sale and acts
ui_type "?"
ui_wait_text "afficher cette aide"
ui_keys F5
ui_wait_text "ssa-pos - Vente"
ui_wait_text "Le panier est vide."
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
